import type { KeyValue } from '@etcd-patterns/etcd';
import { DiscoveryArgumentError, InvalidInstanceError } from './errors';
import { decodeInstance, encodeInstanceValue, instanceKey, isValidAddress, servicePrefix, validateMetadata } from './naming';

const kv = (key: string, value: string): KeyValue => ({
  key,
  value: Buffer.from(value),
  createRevision: 3,
  modRevision: 4,
  version: 1,
  lease: '42',
});

describe('naming (Go naming package format)', () => {
  it('writes exactly the Go JSON value', () => {
    expect(encodeInstanceValue('10.0.0.1:50051', { version: '1.0.0', zone: 'a', weight: 2 })).toBe(
      '{"Op":0,"Addr":"10.0.0.1:50051","Metadata":{"version":"1.0.0","zone":"a","weight":2}}',
    );
  });

  it('uses <prefix>/<service>/<address> keys with a trailing slash on the service prefix', () => {
    expect(instanceKey('/services/', 'greeter', '127.0.0.1:1')).toBe('/services/greeter/127.0.0.1:1');
    expect(servicePrefix('/services', 'greeter')).toBe('/services/greeter/');
    expect('/services/greeter2/x:1'.startsWith(servicePrefix('/services', 'greeter'))).toBe(false);
  });

  it('reads field names case-insensitively and tolerates non-object metadata', () => {
    const a = decodeInstance('s', '/p/s/', kv('/p/s/h:1', '{"op":0,"addr":"h:1","metadata":{"zone":"z"}}'));
    expect(a).toMatchObject({ service: 's', address: 'h:1', metadata: { zone: 'z' }, lease: '42', createRevision: 3 });
    const b = decodeInstance('s', '/p/s/', kv('/p/s/h:1', '{"Addr":"h:1","Metadata":"v1"}'));
    expect(b.metadata).toEqual({});
    const c = decodeInstance('s', '/p/s/', kv('/p/s/h:1', '{"Addr":"h:1","Metadata":{"weight":-3}}'));
    expect(c.metadata).toEqual({});
  });

  it.each([
    ['not json', 'not JSON'],
    ['[1,2]', 'not a JSON object'],
    ['{"Addr":"nohost"}', 'not host:port'],
    ['{"Addr":"h:70000"}', 'not host:port'],
    ['{"Metadata":{}}', 'not host:port'],
  ])('rejects %s with InvalidInstanceError', (value, fragment) => {
    expect(() => decodeInstance('s', '/p/s/', kv('/p/s/k', value))).toThrow(InvalidInstanceError);
    expect(() => decodeInstance('s', '/p/s/', kv('/p/s/k', value))).toThrow(fragment);
  });

  it('validates arguments', () => {
    expect(() => instanceKey('/services', 'bad/name', 'h:1')).toThrow(DiscoveryArgumentError);
    expect(() => instanceKey('/services', '', 'h:1')).toThrow(DiscoveryArgumentError);
    expect(() => instanceKey('/services', 'ok', 'h')).toThrow(DiscoveryArgumentError);
    expect(() => validateMetadata({ weight: 0 })).toThrow(DiscoveryArgumentError);
    expect(() => validateMetadata({ zone: 5 })).toThrow(DiscoveryArgumentError);
    expect(validateMetadata({ weight: 3, team: 'x' })).toEqual({ weight: 3, team: 'x' });
    expect(isValidAddress('[::1]:80')).toBe(true);
    expect(isValidAddress('host.example.com:443')).toBe(true);
    expect(isValidAddress('host:0')).toBe(false);
  });
});
