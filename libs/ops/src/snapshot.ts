import { throwIfAborted, toEtcdError, abortError, type Etcd3 } from '@etcd-patterns/etcd';
import { createHash, randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { OpsError } from './errors';
import { readSnapshotFile, type SnapshotFileStatus } from './snapshot-file';

/** Options for {@link saveSnapshot}. */
export interface SaveSnapshotOptions {
  readonly signal?: AbortSignal;
  /**
   * `digest` (default): check the SHA-256 etcd appends, computed while streaming (free).
   * `full`: also walk the finished file's bbolt structure ({@link readSnapshotFile}) before it
   * is renamed into place, and return its revision and key count.
   */
  readonly verify?: 'digest' | 'full';
  /** Bytes buffered before each write to disk (default 1 MiB); memory stays within about twice this. */
  readonly writeBufferBytes?: number;
  /**
   * Called after each write with the bytes written so far and the bytes etcd says remain. When
   * it returns a promise, reading from etcd waits for it (backpressure, e.g. to rate-limit).
   */
  readonly onProgress?: (written: number, remaining: number) => void | Promise<void>;
}

/** A snapshot on disk, complete and verified. */
export interface SavedSnapshot {
  readonly path: string;
  /** File size, including the 32-byte SHA-256 trailer. */
  readonly bytes: number;
  /** Hex SHA-256 of the database (the trailer), checked against the bytes received. */
  readonly sha256: string;
  /** The member that sent it (hex id), when etcd said. */
  readonly memberId?: string;
  readonly tookMs: number;
  readonly verified: 'digest' | 'full';
  /** The file's bbolt status (with `verify: 'full'`). */
  readonly status?: SnapshotFileStatus;
}

const DIGEST_BYTES = 32;

/**
 * Streams a snapshot of the whole keyspace from the member `client` talks to into `path`.
 *
 * - Memory is bounded: the gRPC stream is read with backpressure and written in
 *   `writeBufferBytes` batches, whatever the database size.
 * - The SHA-256 that etcd appends is checked against the bytes received.
 * - The data goes to a temporary file in the same directory, is fsynced, and only then
 *   renamed to `path` (and the directory fsynced), so `path` never holds a partial or unverified
 *   snapshot; on any failure the temporary file is removed and an existing `path` is untouched.
 *
 * The file is the same format as `etcdctl snapshot save` writes, restorable with etcd's tools.
 * Pass a client for one endpoint (`ClusterOps.endpointClient`) to choose the member.
 * @throws {OpsError} `OPS_SNAPSHOT_INVALID` when the digest or structure does not verify;
 *   `ETCD_*` errors when the stream fails (e.g. `ETCD_UNAVAILABLE`); `ABORTED`.
 */
export async function saveSnapshot(client: Etcd3, path: string, options: SaveSnapshotOptions = {}): Promise<SavedSnapshot> {
  throwIfAborted(options.signal);
  const started = performance.now();
  const temp = join(dirname(path), `.${basename(path)}.part-${process.pid}-${randomBytes(4).toString('hex')}`);
  const file = await open(temp, 'wx', 0o600);
  let closed = false;
  let stream: (Readable & { cancel?: () => void }) | undefined;
  const onAbort = (): void => {
    stream?.cancel?.();
    stream?.destroy(abortError(options.signal!));
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    stream = (await client.maintenance.snapshot()) as unknown as Readable & { cancel?: () => void };
    if (options.signal?.aborted) onAbort();
    const limit = options.writeBufferBytes ?? 1 << 20;
    const hash = createHash('sha256');
    let carry = Buffer.alloc(0);
    let batch: Buffer[] = [];
    let batched = 0;
    let written = 0;
    let remaining = 0;
    let memberId: string | undefined;
    const flush = async (): Promise<void> => {
      if (batched === 0) return;
      const data = batch.length === 1 ? batch[0]! : Buffer.concat(batch, batched);
      batch = [];
      batched = 0;
      await file.write(data);
      written += data.length;
      await options.onProgress?.(written, remaining);
    };
    try {
      for await (const message of stream as AsyncIterable<{ blob: Buffer; remaining_bytes: string; header?: { member_id?: string } }>) {
        const blob = message.blob;
        remaining = Number(message.remaining_bytes);
        if (memberId === undefined && message.header?.member_id && message.header.member_id !== '0') memberId = BigInt(message.header.member_id).toString(16);
        // Everything but the last 32 bytes of the stream is database; the last 32 are its SHA-256.
        if (blob.length >= DIGEST_BYTES) {
          hash.update(carry);
          hash.update(blob.subarray(0, blob.length - DIGEST_BYTES));
          carry = Buffer.from(blob.subarray(blob.length - DIGEST_BYTES));
        } else {
          carry = Buffer.concat([carry, blob]);
          if (carry.length > DIGEST_BYTES) {
            hash.update(carry.subarray(0, carry.length - DIGEST_BYTES));
            carry = Buffer.from(carry.subarray(carry.length - DIGEST_BYTES));
          }
        }
        batch.push(blob);
        batched += blob.length;
        if (batched >= limit) await flush();
      }
    } catch (error) {
      if (options.signal?.aborted) throw abortError(options.signal);
      throw toEtcdError(error, 'snapshot stream');
    }
    throwIfAborted(options.signal);
    await flush();
    const expected = hash.digest();
    if (carry.length !== DIGEST_BYTES || !expected.equals(carry)) {
      throw new OpsError('OPS_SNAPSHOT_INVALID', `the snapshot stream ended early or its SHA-256 does not match (${written} bytes received); nothing was saved to ${path}`);
    }
    await file.sync();
    await file.close();
    closed = true;
    let status: SnapshotFileStatus | undefined;
    if (options.verify === 'full') status = await readSnapshotFile(temp, { signal: options.signal, requireDigest: true });
    await rename(temp, path);
    await syncDirectory(dirname(path));
    return {
      path,
      bytes: written,
      sha256: carry.toString('hex'),
      ...(memberId ? { memberId } : {}),
      tookMs: Math.round(performance.now() - started),
      verified: status ? 'full' : 'digest',
      ...(status ? { status: { ...status, path } } : {}),
    };
  } catch (error) {
    stream?.cancel?.();
    if (!closed) await file.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** fsyncs a directory so a rename in it survives a power loss. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
