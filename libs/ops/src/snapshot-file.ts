import { throwIfAborted } from '@etcd-patterns/etcd';
import { BboltFile } from './internal/bbolt-file';
import { crc32c } from './internal/crc32c';
import { snapshotInvalid } from './internal/snapshot-invalid';
import { checkTrailer, openSnapshot, TRAILER_BYTES } from './internal/snapshot-trailer';
import { snapshotHasDigest } from './snapshot-digest';

/** What {@link readSnapshotFile} found in a snapshot file. */
export interface SnapshotFileStatus {
  readonly path: string;
  /** File size in bytes (including the 32-byte digest when present). */
  readonly fileBytes: number;
  /** True when the file ends with a SHA-256 of the rest and it matched. */
  readonly sha256Verified: boolean;
  /** Hex of that SHA-256 (undefined when the file has no digest). */
  readonly sha256?: string;
  /** As `etcdctl snapshot status`: CRC-32C (Castagnoli) of every bucket name, key and value. */
  readonly hash: number;
  /** As `etcdctl snapshot status`: main revision of the last key of the `key` bucket (0 when empty). */
  readonly revision: number;
  /** As `etcdctl snapshot status`: number of key/value pairs over all buckets. */
  readonly totalKeys: number;
  /** As `etcdctl snapshot status`: bbolt's `tx.Size()`, high-water-mark page id × page size, in bytes. */
  readonly totalSize: number;
}

/** Options for {@link readSnapshotFile}. */
export interface ReadSnapshotFileOptions {
  /** Stops reading; the call then rejects with code `ABORTED`. */
  readonly signal?: AbortSignal;
  /**
   * Refuse a file without etcd's SHA-256 trailer (default false: such a file, e.g. a `db` copied
   * out of a data directory, is read, with `sha256Verified: false`).
   */
  readonly requireDigest?: boolean;
}

// Key bucket keys are revisions: 8-byte main, '_', 8-byte sub (and 't' for a tombstone).
const REVISION_KEY_BYTES = 17;
const KEY_BUCKET = Buffer.from('key');

/**
 * Verifies and inspects an etcd v3 snapshot file without etcd, and reports what
 * `etcdctl snapshot status` (etcd 3.4) reports, computed the same way.
 *
 * 1. When the file ends with etcd's SHA-256 trailer (`size % 512 == 32`, etcdctl's rule), the
 *    trailer is checked against the rest, streaming.
 * 2. The bbolt database before the trailer is walked read-only with positional reads through a
 *    small cache (a few MiB, whatever the file size): meta pages (magic, version, checksum; the
 *    valid one with the higher txid), freelist, and every page of every bucket, with the
 *    integrity checks of bbolt's `tx.Check()` (which etcdctl runs first) and bounds checks on
 *    every page and element.
 * 3. `hash`, `revision`, `totalKeys` and `totalSize` are computed as etcdctl does.
 *
 * Cancellation: `signal` is checked on entry and before each page read; the file is closed either way.
 * @throws {OpsError} `OPS_SNAPSHOT_INVALID` when the file is empty, truncated, not a bbolt
 *   database, fails its SHA-256 or structure checks, or has no trailer while `requireDigest`
 *   is set: it must not be restored. `OPS_INVALID_ARGUMENT` when it cannot be opened (the
 *   `node:fs` error is the cause). `ABORTED`. Other read errors of `node:fs` propagate unchanged.
 */
export async function readSnapshotFile(path: string, options: ReadSnapshotFileOptions = {}): Promise<SnapshotFileStatus> {
  const { signal } = options;
  throwIfAborted(signal);
  const handle = await openSnapshot(path);
  try {
    const fileBytes = (await handle.stat()).size;
    if (fileBytes === 0) throw snapshotInvalid(path, 'the file is empty');
    const hasDigest = snapshotHasDigest(fileBytes);
    if (!hasDigest && options.requireDigest) {
      throw snapshotInvalid(path, `it has no SHA-256 trailer (its size ${fileBytes} is not 32 more than a multiple of 512): it is truncated, or not a snapshot saved from etcd`);
    }
    const sha256 = hasDigest ? await checkTrailer(handle, path, fileBytes - TRAILER_BYTES, signal) : undefined;
    const db = await BboltFile.open(handle, path, hasDigest ? fileBytes - TRAILER_BYTES : fileBytes, { signal });
    const stats = await etcdctlStatus(db, path);
    db.assertAllPagesAccounted();
    return { path, fileBytes, sha256Verified: sha256 !== undefined, ...(sha256 ? { sha256 } : {}), ...stats, totalSize: db.sizeBytes };
  } catch (error) {
    // A bounds check this reader missed must still come out typed, never as a raw RangeError.
    if (error instanceof RangeError) throw snapshotInvalid(path, `malformed bbolt structure (${error.message})`, error);
    throw error;
  } finally {
    await handle.close();
  }
}

/**
 * etcd 3.4 `snapshot.v3Manager.Status`: for each top-level bucket in key order, CRC the bucket
 * name, then each key and value (`ForEach`, so a sub-bucket contributes its key only);
 * `totalKeys` counts those pairs; `revision` is the main revision of the `key` bucket's last key.
 * Sub-buckets are walked too (etcd has none), so every page is checked.
 */
async function etcdctlStatus(db: BboltFile, path: string): Promise<{ hash: number; revision: number; totalKeys: number }> {
  let hash = 0;
  let totalKeys = 0;
  let lastRevision: Buffer | undefined;
  const walkNested = async (value: Buffer, name: Buffer): Promise<void> => {
    await db.forEach(db.bucket(value, name), (k, _v, nested) => (nested ? walkNested(nested, k) : undefined));
  };
  await db.forEach(db.root, async (name, _value, bucket) => {
    // etcdctl: tx.Bucket(name) is nil for a plain key at the top level -> "cannot get hash of bucket".
    if (!bucket) throw snapshotInvalid(path, `top-level key ${JSON.stringify(name.toString('latin1'))} is not a bucket (etcd keeps only buckets there)`);
    hash = crc32c(name, hash);
    const isKeyBucket = name.equals(KEY_BUCKET);
    await db.forEach(db.bucket(bucket, name), (k, v, nested) => {
      hash = crc32c(v, crc32c(k, hash));
      totalKeys++;
      if (isKeyBucket) {
        if (k.length < REVISION_KEY_BYTES) throw snapshotInvalid(path, `the key bucket holds a ${k.length}-byte key; etcd revision keys are 17 bytes (18 for a tombstone)`);
        lastRevision = k;
      }
      return nested ? walkNested(nested, k) : undefined;
    });
  });
  let revision = 0;
  if (lastRevision) {
    const main = lastRevision.readBigInt64BE(0);
    if (main < 0n || main > BigInt(Number.MAX_SAFE_INTEGER)) throw snapshotInvalid(path, `the last revision ${main} is out of range`);
    revision = Number(main);
  }
  return { hash, revision, totalKeys };
}
