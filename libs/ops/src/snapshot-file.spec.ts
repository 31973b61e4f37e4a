import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isEtcdPatternsError } from '@etcd-patterns/etcd';
import { crc32c } from './internal/crc32c';
import { fnv1a64 } from './internal/fnv1a64';
import { snapshotHasDigest, verifySnapshotDigest } from './snapshot-digest';
import { readSnapshotFile } from './snapshot-file';

describe('crc32c', () => {
  it('matches the published check value and chains like Go crc32.Update', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    // RFC 3720 B.4: 32 bytes of zeros, and of 0xff.
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from('56789'), crc32c(Buffer.from('1234')))).toBe(0xe3069283);
  });

  it('gives the bit-at-a-time result for every length and split (slicing-by-8 is only faster)', () => {
    const slow = (data: Uint8Array, previous = 0): number => {
      let crc = ~previous >>> 0;
      for (const byte of data) {
        crc ^= byte;
        for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
      }
      return ~crc >>> 0;
    };
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    for (let length = 0; length < 70; length++) {
      const data = Buffer.from(Array.from({ length }, random));
      expect(crc32c(data)).toBe(slow(data));
      const cut = Math.floor(length / 3);
      expect(crc32c(data.subarray(cut), crc32c(data.subarray(0, cut)))).toBe(slow(data));
    }
  });
});

describe('fnv1a64', () => {
  it('matches the published test vectors', () => {
    expect(fnv1a64(Buffer.alloc(0))).toBe(0xcbf29ce484222325n);
    expect(fnv1a64(Buffer.from('a'))).toBe(0xaf63dc4c8601ec8cn);
    expect(fnv1a64(Buffer.from('foobar'))).toBe(0x85944171f73967e8n);
  });
});

describe('snapshotHasDigest', () => {
  it('uses etcdctl rule: size % 512 == 32', () => {
    expect(snapshotHasDigest(4096 * 4 + 32)).toBe(true);
    expect(snapshotHasDigest(4096 * 4)).toBe(false);
    expect(snapshotHasDigest(0)).toBe(false);
  });
});

// A tiny bbolt file built by hand, to reach corruptions a real etcd never writes (cycles, bad
// element offsets, lost pages). Page size 4096: 0,1 meta; 2 freelist; 3 root leaf; 4.. buckets.
const PAGE = 4096;
type Elem = { key: Buffer; value: Buffer; bucket?: boolean };

function leaf(id: number, elems: Elem[], pageFlags = 0x02): Buffer {
  const p = Buffer.alloc(PAGE);
  header(p, id, pageFlags, elems.length);
  let data = 16 + elems.length * 16;
  elems.forEach((e, i) => {
    const at = 16 + i * 16;
    p.writeUInt32LE(e.bucket ? 1 : 0, at);
    p.writeUInt32LE(data - at, at + 4);
    p.writeUInt32LE(e.key.length, at + 8);
    p.writeUInt32LE(e.value.length, at + 12);
    e.key.copy(p, data);
    e.value.copy(p, data + e.key.length);
    data += e.key.length + e.value.length;
  });
  return p;
}

function branch(id: number, children: { key: Buffer; pgid: number }[]): Buffer {
  const p = Buffer.alloc(PAGE);
  header(p, id, 0x01, children.length);
  let data = 16 + children.length * 16;
  children.forEach((c, i) => {
    const at = 16 + i * 16;
    p.writeUInt32LE(data - at, at);
    p.writeUInt32LE(c.key.length, at + 4);
    p.writeBigUInt64LE(BigInt(c.pgid), at + 8);
    c.key.copy(p, data);
    data += c.key.length;
  });
  return p;
}

function header(p: Buffer, id: number, flags: number, count: number, overflow = 0): void {
  p.writeBigUInt64LE(BigInt(id), 0);
  p.writeUInt16LE(flags, 8);
  p.writeUInt16LE(count, 10);
  p.writeUInt32LE(overflow, 12);
}

function meta(id: number, m: { root: number; freelist: number; pgid: number; txid: number }): Buffer {
  const p = Buffer.alloc(PAGE);
  header(p, id, 0x04, 0);
  p.writeUInt32LE(0xed0cdaed, 16);
  p.writeUInt32LE(2, 20);
  p.writeUInt32LE(PAGE, 24);
  p.writeBigUInt64LE(BigInt(m.root), 32);
  p.writeBigUInt64LE(BigInt(m.freelist), 48);
  p.writeBigUInt64LE(BigInt(m.pgid), 56);
  p.writeBigUInt64LE(BigInt(m.txid), 64);
  p.writeBigUInt64LE(fnv1a64(p.subarray(16, 72)), 72);
  return p;
}

function freelist(id: number, free: number[]): Buffer {
  const p = Buffer.alloc(PAGE);
  header(p, id, 0x10, free.length);
  free.forEach((f, i) => p.writeBigUInt64LE(BigInt(f), 16 + i * 8));
  return p;
}

const bucketRef = (root: number): Buffer => {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(BigInt(root), 0);
  return b;
};
const rev = (main: number, sub = 0): Buffer => {
  const b = Buffer.alloc(17);
  b.writeBigUInt64BE(BigInt(main), 0);
  b.write('_', 8);
  b.writeBigUInt64BE(BigInt(sub), 9);
  return b;
};

/** A valid file: bucket "key" (page 4) with revisions 2..4, and an inline bucket "meta". */
function validPages(): Buffer[] {
  const keys = [2, 3, 4].map((r) => ({ key: rev(r), value: Buffer.from(`value-${r}`) }));
  const inline = Buffer.concat([bucketRef(0), leaf(0, [{ key: Buffer.from('consistent_index'), value: Buffer.from('12345678') }]).subarray(0, 64)]);
  return [
    meta(0, { root: 3, freelist: 2, pgid: 6, txid: 8 }),
    meta(1, { root: 3, freelist: 2, pgid: 6, txid: 7 }),
    freelist(2, [5]),
    leaf(3, [
      { key: Buffer.from('key'), value: bucketRef(4), bucket: true },
      { key: Buffer.from('meta'), value: inline, bucket: true },
    ]),
    leaf(4, keys),
    Buffer.alloc(PAGE),
  ];
}

/** etcdctl's hash, computed independently from the test data. */
function expectedHash(): number {
  let h = crc32c(Buffer.from('key'));
  for (const r of [2, 3, 4]) h = crc32c(Buffer.from(`value-${r}`), crc32c(rev(r), h));
  h = crc32c(Buffer.from('meta'), h);
  return crc32c(Buffer.from('12345678'), crc32c(Buffer.from('consistent_index'), h));
}

describe('readSnapshotFile on hand-built bbolt files', () => {
  let dir: string;
  let n = 0;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ops-snapshot-spec-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (pages: Buffer[]): string => {
    const path = join(dir, `f${++n}.db`);
    writeFileSync(path, Buffer.concat(pages));
    return path;
  };
  const refusal = async (pages: Buffer[]): Promise<string> => {
    const error = await readSnapshotFile(write(pages)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isEtcdPatternsError(error, 'OPS_SNAPSHOT_INVALID')).toBe(true);
    expect((error as Error).message).toContain('must not be restored');
    return (error as Error).message;
  };

  it('reads a valid file: hash, revision, keys and size as etcdctl computes them, inline buckets included', async () => {
    const status = await readSnapshotFile(write(validPages()));
    expect(status).toMatchObject({ hash: expectedHash(), revision: 4, totalKeys: 4, totalSize: 6 * PAGE, sha256Verified: false });
  });

  it('checks and reports the SHA-256 trailer', async () => {
    const db = Buffer.concat(validPages());
    const { createHash } = await import('node:crypto');
    const path = write([db, createHash('sha256').update(db).digest()]);
    const status = await readSnapshotFile(path, { requireDigest: true });
    expect(status.sha256Verified).toBe(true);
    expect((await verifySnapshotDigest(path)).present).toBe(true);
    expect(await refusal([db, Buffer.alloc(32)])).toMatch(/SHA-256/);
  });

  it('walks branch pages and uses the meta page with the higher txid', async () => {
    const pages = validPages();
    // meta 1 is newer: its root (page 5) has a "key" bucket that is a branch (6) over two leaves.
    pages[1] = meta(1, { root: 5, freelist: 2, pgid: 9, txid: 9 });
    pages[2] = freelist(2, [3, 4]);
    pages[5] = leaf(5, [{ key: Buffer.from('key'), value: bucketRef(6), bucket: true }]);
    pages[6] = branch(6, [
      { key: rev(2), pgid: 7 },
      { key: rev(5), pgid: 8 },
    ]);
    pages[7] = leaf(7, [{ key: rev(2), value: Buffer.from('a') }, { key: rev(3), value: Buffer.from('b') }]);
    pages[8] = leaf(8, [{ key: rev(5), value: Buffer.from('c') }, { key: rev(7), value: Buffer.from('d') }]);
    const status = await readSnapshotFile(write(pages));
    let hash = crc32c(Buffer.from('key'));
    for (const [r, v] of [[2, 'a'], [3, 'b'], [5, 'c'], [7, 'd']] as const) hash = crc32c(Buffer.from(v), crc32c(rev(r), hash));
    expect(status).toMatchObject({ hash, revision: 7, totalKeys: 4, totalSize: 9 * PAGE });
  });

  it('reads a value spread over overflow pages', async () => {
    const pages = validPages();
    const big = Buffer.alloc(6000, 7);
    const two = Buffer.alloc(2 * PAGE);
    leaf(5, [{ key: rev(9), value: Buffer.alloc(0) }]).copy(two);
    header(two, 5, 0x02, 1, 1);
    two.writeUInt32LE(big.length, 16 + 12);
    big.copy(two, 32 + 17);
    pages[3] = leaf(3, [{ key: Buffer.from('key'), value: bucketRef(5), bucket: true }]);
    pages[2] = freelist(2, [4]);
    pages[0] = meta(0, { root: 3, freelist: 2, pgid: 7, txid: 8 });
    pages[1] = meta(1, { root: 3, freelist: 2, pgid: 7, txid: 7 });
    pages[5] = two;
    const status = await readSnapshotFile(write(pages));
    expect(status).toMatchObject({ hash: crc32c(big, crc32c(rev(9), crc32c(Buffer.from('key')))), revision: 9, totalKeys: 1, totalSize: 7 * PAGE });
  });

  it('never throws anything but OPS_SNAPSHOT_INVALID on randomly corrupted files', async () => {
    const db = Buffer.concat(validPages());
    // mulberry32: a small seeded PRNG, so a failure can be replayed.
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * n);
    };
    const outcomes = { accepted: 0, refused: 0 };
    for (let i = 0; i < 300; i++) {
      const copy = Buffer.from(db);
      // Mostly headers and element arrays (the first 96 bytes of a page), sometimes anywhere.
      for (let f = 0; f < 1 + random(3); f++) {
        const at = random(4) === 0 ? random(copy.length) : random(copy.length / PAGE) * PAGE + random(96);
        copy[at] = random(256);
      }
      const path = join(dir, 'fuzz.db');
      writeFileSync(path, copy);
      const error = await readSnapshotFile(path).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (error === undefined) outcomes.accepted++;
      else if (isEtcdPatternsError(error, 'OPS_SNAPSHOT_INVALID')) outcomes.refused++;
      else throw error;
    }
    process.stdout.write(`fuzz: ${JSON.stringify(outcomes)}\n`);
    expect(outcomes.refused).toBeGreaterThan(50);
  });

  it('refuses a cycle in a bucket tree', async () => {
    const pages = validPages();
    pages[4] = branch(4, [{ key: rev(2), pgid: 4 }]);
    expect(await refusal(pages)).toMatch(/referenced more than once/);
  });

  it('refuses element offsets outside the page, and element arrays larger than the page', async () => {
    const pages = validPages();
    pages[4]!.writeUInt32LE(PAGE, 16 + 12); // vsize of the first element
    expect(await refusal(pages)).toMatch(/points past the end of its page/);
    const more = validPages();
    more[4]!.writeUInt16LE(0xfff0, 10);
    expect(await refusal(more)).toMatch(/claims 65520 elements/);
  });

  it('refuses page ids past the end of the file and past the high-water mark', async () => {
    const pages = validPages();
    pages[3] = leaf(3, [{ key: Buffer.from('key'), value: bucketRef(40), bucket: true }]);
    expect(await refusal(pages)).toMatch(/outside the database/);
    expect(await refusal(validPages().slice(0, 4))).toMatch(/truncated/);
  });

  it('refuses bad magic and bad checksums on both meta pages, but falls back to one good meta page', async () => {
    const pages = validPages();
    pages[0]!.writeUInt32LE(0x12345678, 16);
    await expect(readSnapshotFile(write(pages))).resolves.toMatchObject({ revision: 4 });
    pages[1]!.writeUInt32LE(7, 28); // the flags field: its checksum no longer matches
    expect(await refusal(pages)).toMatch(/no valid bbolt meta page \(meta 0: bad magic.*meta 1: checksum mismatch/);
  });

  it('refuses lost pages, pages both free and in use, and wrong page types', async () => {
    const lost = validPages();
    lost[2] = freelist(2, []);
    expect(await refusal(lost)).toMatch(/neither reachable nor free \(first: 5\)/);
    const both = validPages();
    both[2] = freelist(2, [4, 5]);
    expect(await refusal(both)).toMatch(/page 4 is in use and also in the freelist/);
    const typed = validPages();
    typed[4] = freelist(4, []);
    expect(await refusal(typed)).toMatch(/a freelist page where a branch or leaf page belongs/);
    const named = validPages();
    named[4]!.writeBigUInt64LE(9n, 0);
    expect(await refusal(named)).toMatch(/page 4 has id 9 in its header/);
  });

  it('refuses what etcdctl cannot read: a plain top-level key, a short revision key', async () => {
    const plain = validPages();
    plain[3] = leaf(3, [{ key: Buffer.from('key'), value: bucketRef(4), bucket: true }, { key: Buffer.from('x'), value: Buffer.from('y') }]);
    plain[2] = freelist(2, [5]);
    expect(await refusal(plain)).toMatch(/top-level key "x" is not a bucket/);
    const short = validPages();
    short[4] = leaf(4, [{ key: Buffer.from('abc'), value: Buffer.from('v') }]);
    expect(await refusal(short)).toMatch(/3-byte key/);
  });

  it('refuses keys out of order', async () => {
    const pages = validPages();
    pages[4] = leaf(4, [{ key: rev(3), value: Buffer.from('a') }, { key: rev(2), value: Buffer.from('b') }]);
    expect(await refusal(pages)).toMatch(/out of order/);
  });

  it('refuses a file shorter than a meta page and an empty file', async () => {
    expect(await refusal([Buffer.alloc(100)])).toMatch(/too short/);
    expect(await refusal([])).toMatch(/empty/);
  });
});
