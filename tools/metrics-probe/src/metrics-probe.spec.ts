import { metrics } from '@opentelemetry/api';
import { MetricsProbe } from './metrics-probe';

describe('MetricsProbe', () => {
  it('reads counters, histograms and gauges back by name and attributes, and refuses a second global provider', async () => {
    const probe = new MetricsProbe('probe-test', '1.2.3').install();
    try {
      const meter = metrics.getMeter('probe-test', '1.2.3');
      const calls = meter.createCounter('calls');
      calls.add(2, { method: 'get' });
      calls.add(3, { method: 'put' });
      meter.createHistogram('latency').record(5, { method: 'get' });
      meter.createObservableGauge('depth').addCallback((r) => r.observe(7, { queue: 'a' }));
      expect(await probe.total('calls')).toBe(5);
      expect(await probe.total('calls', { method: 'put' })).toBe(3);
      expect(await probe.total('latency', { method: 'get' })).toBe(1);
      expect(await probe.value('depth', { queue: 'a' })).toBe(7);
      expect(await probe.value('depth', { queue: 'b' })).toBeUndefined();
      expect(await probe.points('missing')).toEqual([]);
      expect(() => new MetricsProbe('other').install()).toThrow(/installed already/);
    } finally {
      await probe.uninstall();
    }
  });

  it('rejects a meter that reports another version', async () => {
    const probe = new MetricsProbe('probe-version', '2.0.0').install();
    try {
      metrics.getMeter('probe-version', '1.0.0').createCounter('c').add(1);
      await expect(probe.total('c')).rejects.toThrow(/expected 2.0.0/);
    } finally {
      await probe.uninstall();
    }
  });
});
