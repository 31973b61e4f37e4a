import Long from 'long';
import { loadSync } from 'protobufjs';
import { decodeRangeResponse } from './decoded-range';

const RangeResponse = loadSync(require.resolve('etcd3/proto/rpc.proto')).lookupType('etcdserverpb.RangeResponse');

function encode(message: object): Buffer {
  return Buffer.from(RangeResponse.encode(RangeResponse.fromObject(message)).finish());
}

describe('decodeRangeResponse', () => {
  it('gives revisions as numbers and lease ids as exact decimal strings', () => {
    // 2^63 - 25: not representable as a double, so a number round trip would change it.
    const lease = Long.fromString('9223372036854775783');
    const bytes = encode({
      header: { revision: Long.fromNumber(2 ** 40 + 3), memberId: Long.fromString('18446744073709551615', true) },
      kvs: [
        { key: Buffer.from('/s/a'), value: Buffer.from('{"x":1}'), createRevision: 5, modRevision: 7, version: 2, lease },
        { key: Buffer.from('/s/b'), value: Buffer.from('y'), createRevision: 6, modRevision: 6, version: 1, lease },
        { key: Buffer.from('/s/ü'), value: Buffer.alloc(0), createRevision: 8, modRevision: 8, version: 1 },
      ],
      count: 3,
    });
    const decoded = decodeRangeResponse(bytes);
    expect(decoded.revision).toBe(2 ** 40 + 3);
    expect(decoded.count).toBe(3);
    expect(decoded.more).toBe(false);
    expect(decoded.kvs).toEqual([
      { key: '/s/a', value: Buffer.from('{"x":1}'), createRevision: 5, modRevision: 7, version: 2, lease: '9223372036854775783' },
      { key: '/s/b', value: Buffer.from('y'), createRevision: 6, modRevision: 6, version: 1, lease: '9223372036854775783' },
      { key: '/s/ü', value: Buffer.alloc(0), createRevision: 8, modRevision: 8, version: 1, lease: '0' },
    ]);
  });

  it('copies values out of the response buffer', () => {
    const bytes = encode({ header: { revision: 1 }, kvs: [{ key: Buffer.from('k'), value: Buffer.from('value'), createRevision: 1, modRevision: 1, version: 1 }] });
    const [kv] = decodeRangeResponse(bytes).kvs;
    bytes.fill(0);
    expect(kv!.value.toString()).toBe('value');
  });

  it('tells lease ids apart that share their low 32 bits', () => {
    const a = Long.fromBits(7, 1);
    const b = Long.fromBits(7, 2);
    const bytes = encode({
      header: { revision: 2 },
      kvs: [
        { key: Buffer.from('a'), value: Buffer.from('1'), createRevision: 1, modRevision: 1, version: 1, lease: a },
        { key: Buffer.from('b'), value: Buffer.from('2'), createRevision: 2, modRevision: 2, version: 1, lease: b },
      ],
    });
    expect(decodeRangeResponse(bytes).kvs.map((kv) => kv.lease)).toEqual([a.toString(), b.toString()]);
  });

  it('reads an empty response as revision 0 with no keys', () => {
    expect(decodeRangeResponse(Buffer.alloc(0))).toEqual({ revision: 0, kvs: [], more: false, count: 0 });
  });

  it('rejects bytes that are not a RangeResponse', () => {
    expect(() => decodeRangeResponse(Buffer.from([0x12, 0xff, 0x01]))).toThrow();
  });
});
