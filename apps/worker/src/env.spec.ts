import { parseWorkerEnv } from './env';

describe('worker environment', () => {
  it('applies defaults', () => {
    expect(parseWorkerEnv({ ETCD_ENDPOINTS: 'etcd:2379' })).toMatchObject({
      WORKER_PORT: 0,
      WORKER_CONCURRENCY: 2,
      WORKER_ITEM_DELAY_MS: 0,
      GREETER_TARGET: 'etcd:///greeter',
      ETCD_SESSION_TTL_SECONDS: 10,
    });
  });

  it('fails fast naming every bad variable', () => {
    expect(() => parseWorkerEnv({ ETCD_ENDPOINTS: 'e:1', ETCD_SESSION_TTL_SECONDS: '1', WORKER_RESCAN_INTERVAL_MS: '5' })).toThrow(
      /^invalid environment: ETCD_SESSION_TTL_SECONDS: .*; WORKER_RESCAN_INTERVAL_MS: /,
    );
  });
});
