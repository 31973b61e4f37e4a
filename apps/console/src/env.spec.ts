import { assertListenAllowed, isLoopbackHost, parseConsoleEnv } from './env';

describe('console environment', () => {
  it('applies defaults', () => {
    expect(parseConsoleEnv({ ETCD_ENDPOINTS: 'etcd:2379' })).toMatchObject({
      CONSOLE_HOST: '127.0.0.1',
      CONSOLE_PORT: 8088,
      CONSOLE_STATIC_DIR: 'apps/console-ui/dist',
      CONSOLE_REGISTRY_PREFIX: '/services',
      CONSOLE_CONFIG_ROOT: '/config',
      CONSOLE_LOCK_PREFIXES: ['/'],
      CONSOLE_ALLOW_REMOTE_WITHOUT_AUTH: false,
      CONSOLE_SESSION_IDLE_SECONDS: 1800,
      CONSOLE_REQUEST_TIMEOUT_MS: 15_000,
    });
    expect(parseConsoleEnv({ ETCD_ENDPOINTS: 'e:1', CONSOLE_PORT: '0', CONSOLE_LOCK_PREFIXES: '/locks/, /elections/' })).toMatchObject({ CONSOLE_PORT: 0, CONSOLE_LOCK_PREFIXES: ['/locks/', '/elections/'] });
  });

  it('fails fast naming every bad variable', () => {
    expect(() => parseConsoleEnv({ CONSOLE_PORT: '70000', CONSOLE_CONFIG_ROOT: 'config' })).toThrow(/^invalid environment: ETCD_ENDPOINTS: is required.*CONSOLE_PORT: .*CONSOLE_CONFIG_ROOT: /);
    expect(() => parseConsoleEnv({ ETCD_ENDPOINTS: 'e:1', CONSOLE_DEMO_CONTROL_URL: 'http://127.0.0.1:1' })).toThrow(/CONSOLE_DEMO_CONTROL_TOKEN/);
  });

  it('refuses credentials of its own: it acts only as the user who signed in', () => {
    expect(() => parseConsoleEnv({ ETCD_ENDPOINTS: 'e:1', ETCD_USERNAME: 'root', ETCD_PASSWORD: 'x' })).toThrow(/ETCD_USERNAME: must not be set.*ETCD_PASSWORD: must not be set/);
    expect(() => parseConsoleEnv({ ETCD_ENDPOINTS: 'e:1', ETCD_PASSWORD_FILE: '/run/secrets/x' })).toThrow(/ETCD_PASSWORD_FILE: must not be set/);
  });

  it('tells loopback addresses from others', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1']) expect(isLoopbackHost(host)).toBe(false);
  });

  it('refuses a non-loopback address while etcd auth is off, unless told to accept the risk', () => {
    expect(() => assertListenAllowed({ CONSOLE_HOST: '0.0.0.0', CONSOLE_ALLOW_REMOTE_WITHOUT_AUTH: false }, false)).toThrow(/refusing to listen on 0\.0\.0\.0: etcd auth is off.*CONSOLE_ALLOW_REMOTE_WITHOUT_AUTH=1/);
    expect(() => assertListenAllowed({ CONSOLE_HOST: '0.0.0.0', CONSOLE_ALLOW_REMOTE_WITHOUT_AUTH: true }, false)).not.toThrow();
    expect(() => assertListenAllowed({ CONSOLE_HOST: '0.0.0.0', CONSOLE_ALLOW_REMOTE_WITHOUT_AUTH: false }, true)).not.toThrow();
    expect(() => assertListenAllowed({ CONSOLE_HOST: '127.0.0.1', CONSOLE_ALLOW_REMOTE_WITHOUT_AUTH: false }, false)).not.toThrow();
  });
});
