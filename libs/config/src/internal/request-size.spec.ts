import { join } from 'node:path';
import * as protobuf from 'protobufjs';
import type { ITxnRequest } from 'etcd3';
import { txnRequestBytes } from './request-size';

// The real encoding, from etcd3's own copy of etcd's rpc.proto.
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => join(require.resolve('etcd3/package.json'), '..', 'proto', target.replace(/^.*\//, ''));
root.loadSync('rpc.proto', { keepCase: true });
const TxnRequest = root.lookupType('etcdserverpb.TxnRequest');

function encoded(txn: ITxnRequest): number {
  return TxnRequest.encode(TxnRequest.fromObject(txn as Record<string, unknown>)).finish().length;
}

describe('txnRequestBytes', () => {
  it('matches the protobuf encoding of a publish-shaped transaction', () => {
    const big = Buffer.alloc(300_000, 'x');
    const txn: ITxnRequest = {
      compare: [
        { key: Buffer.from('/config/prod/app/_meta'), target: 'Mod', result: 'Equal', mod_revision: 12345 },
        { key: Buffer.from('/config/prod/app/values/'), range_end: Buffer.from('/config/prod/app/values0'), target: 'Mod', result: 'Less', mod_revision: 99 },
        { key: Buffer.from('/config/_history/prod/app/0000000002'), target: 'Create', result: 'Equal', create_revision: 0 },
      ],
      success: [
        { request_put: { key: Buffer.from('/config/prod/app/values/a'), value: big } },
        { request_delete_range: { key: Buffer.from('/config/prod/app/values/b') } },
        { request_put: { key: Buffer.from('/config/_history/prod/app/0000000002'), value: Buffer.alloc(1_000_000, 'y') } },
      ],
    };
    const exact = encoded(txn);
    const estimate = txnRequestBytes(txn);
    // Never below the real size, and within a few bytes per field of it.
    expect(estimate).toBeGreaterThanOrEqual(exact);
    expect(estimate - exact).toBeLessThan(32);
  });

  it('grows by exactly the bytes added to a value', () => {
    const txn = (n: number): ITxnRequest => ({ success: [{ request_put: { key: Buffer.from('k'), value: Buffer.alloc(n) } }] });
    expect(txnRequestBytes(txn(1000)) - encoded(txn(1000))).toBe(txnRequestBytes(txn(2000)) - encoded(txn(2000)));
    expect(txnRequestBytes(txn(0))).toBeGreaterThan(0);
  });
});
