import { createEtcdClient, isEtcdPatternsError, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster, etcdctl } from '@etcd-patterns/etcd-cluster';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterOps } from './cluster-ops';
import { readSnapshotFile } from './snapshot-file';
import { saveSnapshot } from './snapshot';

jest.setTimeout(120_000);

describe('saveSnapshot (real 3-member cluster)', () => {
  let cluster: EtcdCluster;
  let client: Etcd3;
  let ops: ClusterOps;
  let dir: string;

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 3 });
    client = await createEtcdClient({ endpoints: cluster.endpoints });
    ops = await ClusterOps.connect({ endpoints: cluster.endpoints });
    dir = mkdtempSync(join(tmpdir(), 'ops-snapshot-'));
    const value = 'v'.repeat(2048);
    for (let i = 0; i < 2000; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => client.put(`/snap/${i + j}`).value(value)));
    }
  });
  afterAll(async () => {
    client?.close();
    await ops?.close();
    await cluster?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the same database etcdctl snapshot save does, verified, with only the final file left', async () => {
    const ours = join(dir, 'ours.db');
    const saved = await saveSnapshot(client, ours, { verify: 'full', writeBufferBytes: 64 * 1024 });
    const theirs = join(dir, 'theirs.db');
    expect((await etcdctl(cluster.endpoints.slice(0, 1), ['snapshot', 'save', theirs])).code).toBe(0);
    const reference = JSON.parse((await etcdctl([], ['snapshot', 'status', theirs, '-w', 'json'])).stdout) as { revision: number; totalKey: number };
    expect(saved.status).toMatchObject({ revision: reference.revision, totalKeys: reference.totalKey, sha256Verified: true });
    expect(saved.bytes).toBe(readFileSync(ours).length);
    expect(saved.sha256).toBe(readFileSync(ours).subarray(-32).toString('hex'));
    // etcdctl accepts our file as a restorable snapshot (it checks the SHA-256 on restore).
    const restore = await etcdctl([], ['snapshot', 'restore', ours, `--data-dir=${join(dir, 'restored')}`]);
    expect(restore.code).toBe(0);
    expect(readdirSync(dir).filter((f) => f.includes('.part-'))).toEqual([]);
  });

  it('leaves no partial file and keeps the previous backup when aborted or when the member dies mid-stream', async () => {
    const path = join(dir, 'keep.db');
    writeFileSync(path, 'previous backup');
    const abort = new AbortController();
    const aborted = saveSnapshot(client, path, {
      signal: abort.signal,
      writeBufferBytes: 16 * 1024,
      onProgress: () => abort.abort(),
    }).catch((e: unknown) => e);
    expect(isEtcdPatternsError(await aborted, 'ABORTED')).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('previous backup');

    const member = cluster.member(2);
    const single = await ops.endpointClient(member.endpoint);
    let killed = false;
    const failed = await saveSnapshot(single, path, {
      writeBufferBytes: 16 * 1024,
      // The stream waits while the member is killed (the database is far larger than what
      // gRPC buffers), so the rest of it can never arrive.
      onProgress: async () => {
        if (!killed) {
          killed = true;
          await member.kill();
        }
      },
    }).catch((e: unknown) => e);
    await member.start();
    expect(isEtcdPatternsError(failed)).toBe(true);
    expect((failed as { code: string }).code).toMatch(/ETCD_UNAVAILABLE|OPS_SNAPSHOT_INVALID/);
    expect(readFileSync(path, 'utf8')).toBe('previous backup');
    expect(readdirSync(dir).filter((f) => f.includes('.part-'))).toEqual([]);

    // And the next attempt replaces it with a complete snapshot.
    await saveSnapshot(client, path);
    expect((await readSnapshotFile(path, { requireDigest: true })).totalKeys).toBeGreaterThan(2000);
  });
});
