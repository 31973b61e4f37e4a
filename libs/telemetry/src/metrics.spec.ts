import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { metrics } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { parseTelemetryEnv } from './env';
import { metricsUrl, shutdownMetrics, startMetrics } from './metrics';

const LOOPBACK = { METRICS_HOST: '127.0.0.1', METRICS_PORT: '0' };

describe('startMetrics (Prometheus endpoint)', () => {
  afterEach(async () => {
    await shutdownMetrics();
    metrics.disable();
  });

  it('serves the Prometheus text format at /metrics on a port the OS picks, until shut down', async () => {
    const handle = startMetrics({ serviceName: 'spec', env: LOOPBACK });
    const url = await handle.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(await metricsUrl()).toBe(url);

    metrics.getMeter('@etcd-patterns/spec', '0.1.0').createCounter('etcd_patterns.spec.things', { unit: '{thing}' }).add(2, { kind: 'a' });
    const res = await fetch(url!);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('# TYPE etcd_patterns_spec_things_total counter');
    expect(text).toMatch(/^etcd_patterns_spec_things_total\{[^}]*kind="a"[^}]*otel_scope_name="@etcd-patterns\/spec"[^}]*\} 2$/m);
    expect(text).toMatch(/^target_info\{[^}]*service_name="spec"/m);
    expect((await fetch(url!.replace(/\/metrics$/, '/other'))).status).toBe(404);

    await handle.shutdown();
    await handle.shutdown(); // idempotent
    await expect(fetch(url!)).rejects.toThrow();
  });

  it('is off with METRICS_PORT=off or OTEL_SDK_DISABLED, and then registers nothing', async () => {
    for (const env of [{ ...LOOPBACK, METRICS_PORT: 'off' }, { ...LOOPBACK, OTEL_SDK_DISABLED: 'true' }]) {
      const handle = startMetrics({ env });
      expect(await handle.url).toBeUndefined();
      expect(await metricsUrl()).toBeUndefined();
      expect(metrics.setGlobalMeterProvider(new MeterProvider())).toBe(true); // nothing was registered
      metrics.disable();
      await handle.shutdown();
    }
  });

  it('leaves a MeterProvider registered first in place', async () => {
    const first = new MeterProvider();
    metrics.setGlobalMeterProvider(first);
    const handle = startMetrics({ env: LOOPBACK });
    expect(await handle.url).toBeUndefined();
    expect(metrics.getMeterProvider()).toBe(first);
    await handle.shutdown();
    await first.shutdown();
  });

  it('reports a port it cannot bind and leaves the process running without an endpoint', async () => {
    const blocker: Server = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    try {
      const port = (blocker.address() as AddressInfo).port;
      const errors: Error[] = [];
      const handle = startMetrics({ env: { ...LOOPBACK, METRICS_PORT: String(port) }, onError: (e) => errors.push(e) });
      expect(await handle.url).toBeUndefined();
      expect(errors).toHaveLength(1);
      expect((errors[0]!.cause as { code?: string }).code).toBe('EADDRINUSE');
      await handle.shutdown();
    } finally {
      blocker.close();
    }
  });

  it('shutdownMetrics() reaches the provider wherever it was started, and closes the endpoint', async () => {
    const url = await startMetrics({ env: LOOPBACK }).url;
    expect((await fetch(url!)).status).toBe(200);
    await shutdownMetrics();
    await shutdownMetrics();
    await expect(fetch(url!)).rejects.toThrow();
  });
});

describe('metrics environment', () => {
  it('defaults to a port the OS picks on every interface, and refuses what is not a port or off', () => {
    expect(parseTelemetryEnv({})).toMatchObject({ METRICS_PORT: 0, METRICS_HOST: '0.0.0.0' });
    expect(parseTelemetryEnv({ METRICS_PORT: '9464', METRICS_HOST: '127.0.0.1' })).toMatchObject({ METRICS_PORT: 9464, METRICS_HOST: '127.0.0.1' });
    expect(parseTelemetryEnv({ METRICS_PORT: 'off' })).toMatchObject({ METRICS_PORT: 'off' });
    for (const bad of ['abc', '70000', '-1', '1.5']) {
      expect(() => parseTelemetryEnv({ METRICS_PORT: bad })).toThrow(/^invalid telemetry environment: METRICS_PORT: must be a port number \(0: the OS picks one\) or 'off'/);
    }
  });
});
