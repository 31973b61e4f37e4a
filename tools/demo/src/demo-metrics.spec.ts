import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { demoMetricsPorts } from './demo-metrics';

describe('demoMetricsPorts', () => {
  it('gives the apps consecutive ports from DEMO_METRICS_PORT, and 0 (the OS picks) for one that is taken', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    try {
      const port = (taken.address() as AddressInfo).port;
      const ports = await demoMetricsPorts(3, { env: { DEMO_METRICS_PORT: String(port - 1) } });
      expect(ports[1]).toBe('0');
      // Its neighbours are free unless something else on this machine holds them.
      expect([String(port - 1), '0']).toContain(ports[0]);
      expect([String(port + 1), '0']).toContain(ports[2]);
    } finally {
      taken.close();
    }
  });

  it('passes 0 and off through, defaults to 9464, and refuses anything else', async () => {
    expect(await demoMetricsPorts(2, { env: { DEMO_METRICS_PORT: '0' } })).toEqual(['0', '0']);
    expect(await demoMetricsPorts(2, { env: { DEMO_METRICS_PORT: 'off' } })).toEqual(['off', 'off']);
    expect((await demoMetricsPorts(1, { env: {} }))[0]).toMatch(/^(9464|0)$/);
    await expect(demoMetricsPorts(1, { env: { DEMO_METRICS_PORT: 'http' } })).rejects.toThrow(/DEMO_METRICS_PORT/);
    await expect(demoMetricsPorts(3, { env: { DEMO_METRICS_PORT: '65535' } })).rejects.toThrow(/DEMO_METRICS_PORT/);
  });
});
