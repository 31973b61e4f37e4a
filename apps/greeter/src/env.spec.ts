import { parseGreeterEnv } from './env';

describe('greeter environment', () => {
  it('applies defaults', () => {
    expect(parseGreeterEnv({ ETCD_ENDPOINTS: 'etcd:2379' })).toMatchObject({
      GREETER_PORT: 0,
      GREETER_ADVERTISE_HOST: '127.0.0.1',
      CONFIG_NAMESPACE: 'dev/greeter',
      ETCD_SESSION_TTL_SECONDS: 10,
      SHUTDOWN_DRAIN_MS: 1000,
    });
  });

  it('fails fast naming every bad variable', () => {
    expect(() => parseGreeterEnv({ GREETER_PORT: '70000', CONFIG_NAMESPACE: 'greeter' })).toThrow(
      /^invalid environment: ETCD_ENDPOINTS: is required.*; GREETER_PORT: .*65535.*; CONFIG_NAMESPACE: must be env\/app$/,
    );
  });

  it('treats empty values as unset', () => {
    expect(parseGreeterEnv({ ETCD_ENDPOINTS: 'e:1', INSTANCE_NAME: '' }).INSTANCE_NAME).toMatch(/^greeter-/);
  });
});
