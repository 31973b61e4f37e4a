import type { KeyValue } from '@etcd-patterns/etcd';
import { looksLikeOwnerKey, ownerKeys, scanPrefix } from './locks-view';

const kv = (key: string, lease: string, createRevision: number): KeyValue => ({ key, value: Buffer.alloc(0), createRevision, modRevision: createRevision, version: 1, lease });

describe('owner keys', () => {
  it('groups <name>/<lease hex> keys by name in create-revision order, ignoring other keys', () => {
    const groups = ownerKeys([
      kv('/locks/job/694d7c5a1e2b0f1f', String(0x694d7c5a1e2b0f1fn), 12),
      kv('/locks/job/694d7c5a1e2b0f11', String(0x694d7c5a1e2b0f11n), 7),
      kv('/locks/job/deadbeef', String(0x1234n), 8), // the segment is not its own lease
      kv('/services/greeter/127.0.0.1:1', String(0x99n), 9),
      kv('/plain/key', '0', 3),
      kv('mylock/abc', String(0xabcn), 4), // etcdctl lock names need not start with /
    ]);
    expect([...groups.keys()]).toEqual(['/locks/job', 'mylock']);
    expect(groups.get('/locks/job')!.map((k) => k.createRevision)).toEqual([7, 12]);
  });

  it('scans the whole keyspace for /, and filters watch events by shape', () => {
    expect(scanPrefix('/')).toBe('');
    expect(scanPrefix('/locks/')).toBe('/locks/');
    expect(looksLikeOwnerKey('/locks/job/694d7c5a1e2b0f1f')).toBe(true);
    expect(looksLikeOwnerKey('/services/greeter/127.0.0.1:1')).toBe(false);
  });
});
