import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEtcdClient, isEtcdPatternsError, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster, etcdctl } from '@etcd-patterns/etcd-cluster';
import { snapshotHasDigest, verifySnapshotDigest } from './snapshot-digest';
import { readSnapshotFile } from './snapshot-file';

jest.setTimeout(60_000);

interface EtcdctlStatus {
  hash: number;
  revision: number;
  totalKey: number;
  totalSize: number;
}

/** Page types and overflow seen by a naive sequential scan of the page headers (test evidence only). */
function scanPages(db: Buffer, pageSize: number): { branch: number; leaf: number; overflowed: number } {
  const seen = { branch: 0, leaf: 0, overflowed: 0 };
  for (let id = 2; (id + 1) * pageSize <= db.length; ) {
    const at = id * pageSize;
    const flags = db.readUInt16LE(at + 8);
    const overflow = db.readUInt32LE(at + 12);
    if (Number(db.readBigUInt64LE(at)) === id) {
      if (flags === 0x01) seen.branch++;
      if (flags === 0x02) seen.leaf++;
      if (flags === 0x02 && overflow > 0) seen.overflowed++;
    }
    id += 1 + (Number(db.readBigUInt64LE(at)) === id ? overflow : 0);
  }
  return seen;
}

const refused = async (promise: Promise<unknown>): Promise<{ code?: string; message: string }> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isEtcdPatternsError(error)) throw new Error(`expected a typed refusal, got ${String(error)}`);
  return { code: error.code, message: error.message };
};

describe('readSnapshotFile against etcdctl snapshot status (etcd 3.4, 1 member)', () => {
  let cluster: EtcdCluster;
  let etcd: Etcd3;
  let dir: string;
  let file: string;
  let bytes: Buffer;
  const status = async (path: string, timeoutMs?: number): Promise<{ code: number; json?: EtcdctlStatus; stderr: string }> => {
    const r = await etcdctl(cluster.endpoints, ['snapshot', 'status', path, '-w', 'json'], undefined, { timeoutMs });
    return { code: r.code, stderr: r.stderr, ...(r.code === 0 ? { json: JSON.parse(r.stdout) as EtcdctlStatus } : {}) };
  };
  /** etcdctl on a corrupt file: its answer, or `hung` when bbolt loops (a page cycle) or crashes. */
  const statusOrHang = (path: string): Promise<{ code: number; json?: EtcdctlStatus; stderr: string; hung?: true }> =>
    status(path, 5_000).catch((error: unknown) => {
      // Node's own errors come from outside Jest's realm, so no `instanceof Error` here.
      const killed = error as { killed?: boolean; signal?: string | null; message?: string };
      if (!killed.killed && !killed.signal) throw error;
      return { code: -1, stderr: `${killed.signal ?? 'killed'}: ${killed.message ?? ''}`, hung: true as const };
    });
  const copy = (name: string, data: Buffer): string => {
    const path = join(dir, name);
    writeFileSync(path, data);
    return path;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ops-snapshot-file-'));
    cluster = await EtcdCluster.start({ size: 1 });
    etcd = await createEtcdClient({ endpoints: cluster.endpoints });
    // 400 keys with 200-byte values: many leaf pages under branch pages in the `key` bucket.
    const value = (i: number, round: number): string => `${round}:${i}:`.padEnd(200, String.fromCharCode(97 + (i % 26)));
    for (let start = 0; start < 400; start += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => etcd.put(`/snap/k/${String(start + j).padStart(4, '0')}`).value(value(start + j, 0))));
    }
    // More revisions of 100 keys, and deletes (tombstones).
    for (let round = 1; round <= 3; round++) {
      await Promise.all(Array.from({ length: 100 }, (_, i) => etcd.put(`/snap/k/${String(i).padStart(4, '0')}`).value(value(i, round))));
    }
    await etcd.delete().prefix('/snap/k/03').exec();
    await etcd.delete().key('/snap/k/0250').exec();
    // Keys on a lease (the lease bucket gets an entry).
    const lease = etcd.lease(600, { autoKeepAlive: false });
    await lease.grant();
    for (let i = 0; i < 5; i++) await lease.put(`/snap/leased/${i}`).value(`v${i}`);
    // A value larger than a page: an overflowed leaf page.
    await etcd.put('/snap/large').value(randomBytes(20_000));
    file = join(dir, 'snap.db');
    const saved = await etcdctl(cluster.endpoints, ['snapshot', 'save', file]);
    expect(saved.code).toBe(0);
    bytes = readFileSync(file);
  });
  afterAll(async () => {
    etcd?.close();
    await cluster?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('agrees with etcdctl on hash, revision, totalKey and totalSize, and verifies the SHA-256 trailer', async () => {
    const theirs = await status(file);
    expect(theirs.code).toBe(0);
    const ours = await readSnapshotFile(file, { requireDigest: true });
    expect({ hash: ours.hash, revision: ours.revision, totalKey: ours.totalKeys, totalSize: ours.totalSize }).toEqual(theirs.json);
    expect(ours.sha256Verified).toBe(true);
    expect(ours.fileBytes).toBe(statSync(file).size);
    expect(ours.sha256).toBe(createHash('sha256').update(bytes.subarray(0, bytes.length - 32)).digest('hex'));
    expect(ours.sha256).toBe(bytes.subarray(bytes.length - 32).toString('hex'));
    expect(ours.path).toBe(file);
    // The data really exercises the paths it claims to: several revisions, branch and overflow pages.
    const head = await etcd.get('/snap/large').exec();
    expect(ours.revision).toBe(Number(head.header.revision));
    expect(ours.totalKeys).toBeGreaterThan(400 + 300 + 101 + 5);
    const seen = scanPages(bytes.subarray(0, bytes.length - 32), bytes.readUInt32LE(16 + 8));
    expect(seen.branch).toBeGreaterThan(0);
    expect(seen.overflowed).toBeGreaterThan(0);
    await expect(verifySnapshotDigest(file)).resolves.toEqual({ fileBytes: bytes.length, present: true, sha256: ours.sha256 });
  });

  it('reads a snapshot without its trailer (a copied db) like etcdctl, and refuses it when a digest is required', async () => {
    const bare = copy('bare.db', bytes.subarray(0, bytes.length - 32));
    expect(snapshotHasDigest(bytes.length)).toBe(true);
    expect(snapshotHasDigest(bytes.length - 32)).toBe(false);
    const theirs = await status(bare);
    const ours = await readSnapshotFile(bare);
    expect({ hash: ours.hash, revision: ours.revision, totalKey: ours.totalKeys, totalSize: ours.totalSize }).toEqual(theirs.json);
    expect(ours.sha256Verified).toBe(false);
    expect(ours.sha256).toBeUndefined();
    await expect(verifySnapshotDigest(bare)).resolves.toEqual({ fileBytes: bytes.length - 32, present: false });
    expect((await refused(readSnapshotFile(bare, { requireDigest: true }))).code).toBe('OPS_SNAPSHOT_INVALID');
  });

  it('falls back to meta page 1 when meta page 0 is destroyed, as bbolt does', async () => {
    const db = Buffer.from(bytes.subarray(0, bytes.length - 32));
    db.fill(0xff, 16, 16 + 64);
    const path = copy('meta0-broken.db', db);
    const theirs = await status(path);
    expect(theirs.code).toBe(0);
    const ours = await readSnapshotFile(path);
    expect({ hash: ours.hash, revision: ours.revision, totalKey: ours.totalKeys, totalSize: ours.totalSize }).toEqual(theirs.json);
  });

  it('refuses truncated, flipped, empty and random files with OPS_SNAPSHOT_INVALID', async () => {
    const middle = Math.floor(bytes.length / 2);
    const flipped = Buffer.from(bytes);
    flipped[middle] = flipped[middle]! ^ 0x01;
    const trailerFlipped = Buffer.from(bytes);
    trailerFlipped[bytes.length - 1] = trailerFlipped[bytes.length - 1]! ^ 0x80;
    const cases: Record<string, Buffer> = {
      'truncated.db': bytes.subarray(0, middle),
      'truncated-page-aligned.db': bytes.subarray(0, 8 * 4096),
      'flipped-middle.db': flipped,
      'flipped-trailer.db': trailerFlipped,
      'empty.db': Buffer.alloc(0),
      'random.db': randomBytes(100_000),
      'random-with-trailer-size.db': randomBytes(512 * 40 + 32),
    };
    const report: Record<string, string> = {};
    for (const [name, data] of Object.entries(cases)) {
      const path = copy(name, data);
      const error = await refused(readSnapshotFile(path));
      expect(error.code).toBe('OPS_SNAPSHOT_INVALID');
      expect(error.message).toContain('must not be restored');
      expect(error.message).toContain(path);
      const theirs = await status(path);
      report[name] = `ours: ${error.message.slice(path.length + 21)} | etcdctl status: ${theirs.code === 0 ? 'accepted' : `refused (${theirs.stderr.trim().split('\n').pop()})`}`;
    }
    // etcdctl 3.4 `snapshot status` does not check the SHA-256 (only restore does), so it accepts
    // the copy with a flipped trailer. Whether it notices the flip in the middle depends on what
    // the byte was; the empty and random files it refuses.
    expect(report['flipped-trailer.db']).toMatch(/etcdctl status: accepted/);
    for (const name of ['empty.db', 'random.db', 'random-with-trailer-size.db']) expect(report[name]).toMatch(/etcdctl status: refused/);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  });

  it('on randomly corrupted copies without the trailer: refuses with OPS_SNAPSHOT_INVALID or agrees with etcdctl', async () => {
    const db = bytes.subarray(0, bytes.length - 32);
    let seed = 4242;
    const random = (n: number): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * n);
    };
    const tally = { bothAccept: 0, bothRefuse: 0, onlyEtcdctlAccepts: 0, etcdctlHangs: 0 };
    const stricter: string[] = [];
    for (let i = 0; i < 40; i++) {
      const copy = Buffer.from(db);
      // Page headers and element arrays: the first 128 bytes of a random page.
      const at = random(copy.length / 4096) * 4096 + random(128);
      copy[at] = copy[at]! ^ (1 << random(8));
      const path = join(dir, `fuzz-${i}.db`);
      writeFileSync(path, copy);
      let why = '';
      const ours = await readSnapshotFile(path).then(
        (s) => s,
        (e: unknown) => {
          if (!isEtcdPatternsError(e, 'OPS_SNAPSHOT_INVALID')) throw e;
          why = e.message.slice(path.length + 21);
          return undefined;
        },
      );
      const theirs = await statusOrHang(path);
      if (theirs.hung) {
        // etcdctl never finished (bbolt follows a page cycle forever) or crashed: we must have refused.
        expect({ at, ours }).toEqual({ at, ours: undefined });
        tally.etcdctlHangs++;
      } else if (ours) {
        // Whatever we accept, etcdctl accepts with the same numbers.
        expect({ at, ...theirs.json }).toEqual({ at, hash: ours.hash, revision: ours.revision, totalKey: ours.totalKeys, totalSize: ours.totalSize });
        tally.bothAccept++;
      } else if (theirs.code === 0) {
        tally.onlyEtcdctlAccepts++;
        stricter.push(`byte ${at}: ${why}`);
      }
      else tally.bothRefuse++;
      rmSync(path);
    }
    process.stdout.write(`fuzz against etcdctl: ${JSON.stringify(tally)}\nrefused by us only:\n  ${stricter.join('\n  ')}\n`);
  }, 180_000);

  it('refuses a missing file with OPS_INVALID_ARGUMENT and an aborted read with ABORTED', async () => {
    expect((await refused(readSnapshotFile(join(dir, 'missing.db')))).code).toBe('OPS_INVALID_ARGUMENT');
    const controller = new AbortController();
    controller.abort();
    expect((await refused(readSnapshotFile(file, { signal: controller.signal }))).code).toBe('ABORTED');
    expect((await refused(verifySnapshotDigest(file, { signal: controller.signal }))).code).toBe('ABORTED');
  });
});
