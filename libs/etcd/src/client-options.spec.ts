import { resolveClientOptions } from './client-options';
import { EtcdPatternsError } from './errors';

describe('resolveClientOptions', () => {
  it('defaults to 127.0.0.1:2379 with safe timeouts', () => {
    const o = resolveClientOptions({}, {});
    expect(o.endpoints).toEqual(['127.0.0.1:2379']);
    expect(o.callTimeoutMs).toBe(5000);
    expect(o.tls).toBe(false);
    expect(o.auth).toBeUndefined();
  });

  it('reads the environment, explicit options win', () => {
    const env = { ETCD_ENDPOINTS: 'a:1, b:2', ETCD_USERNAME: 'u', ETCD_PASSWORD: 'p' };
    expect(resolveClientOptions({}, env)).toMatchObject({ endpoints: ['a:1', 'b:2'], auth: { username: 'u', password: 'p' } });
    expect(resolveClientOptions({ endpoints: ['c:3'] }, env).endpoints).toEqual(['c:3']);
    expect(resolveClientOptions({ endpoints: undefined }, env).endpoints).toEqual(['a:1', 'b:2']);
  });

  it.each([
    [{ endpoints: ['nohostport'] }, 'endpoints.0'],
    [{ endpoints: ['h:99999'] }, 'port'],
    [{ endpoints: [] }, 'at least one'],
    [{ username: 'u' }, 'together'],
    [{ certFile: '/c' }, 'together'],
    [{ endpoints: ['https://a:1', 'b:2'] }, 'mix'],
    [{ keepaliveTimeMs: 1000 }, 'keepaliveTimeMs'],
  ])('rejects %j', (options, fragment) => {
    let error: unknown;
    try {
      resolveClientOptions(options, {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EtcdPatternsError);
    expect((error as EtcdPatternsError).code).toBe('ETCD_INVALID_CONFIG');
    expect((error as Error).message).toContain(fragment);
  });

  it('switches to TLS for https endpoints', () => {
    expect(resolveClientOptions({ endpoints: ['https://a:1'] }, {}).tls).toBe(true);
  });
});
