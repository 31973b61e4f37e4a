import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { abortError, throwIfAborted } from '@etcd-patterns/etcd';
import { OpsError } from '../errors';
import { snapshotInvalid } from './snapshot-invalid';

/** Bytes of the SHA-256 trailer etcd appends to a snapshot. */
export const TRAILER_BYTES = 32;
const CHUNK_BYTES = 1 << 20;

/** Opens a snapshot file for reading, mapping failures to `OPS_INVALID_ARGUMENT`. */
export async function openSnapshot(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (error) {
    throw new OpsError('OPS_INVALID_ARGUMENT', `cannot open snapshot ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Streams the first `dbBytes` bytes of an open file through SHA-256 (positional reads of 1 MiB
 * into one buffer, so memory stays bounded) and compares the result with the 32 bytes that follow.
 * Returns the hex digest. The handle stays open.
 * @throws {OpsError} `OPS_SNAPSHOT_INVALID` on a mismatch or a short file; `ABORTED`.
 */
export async function checkTrailer(handle: FileHandle, path: string, dbBytes: number, signal: AbortSignal | undefined): Promise<string> {
  throwIfAborted(signal);
  const hash = createHash('sha256');
  // A loop of positional reads into one reused buffer, rather than a read stream: a stream on a
  // FileHandle closes the handle when it ends, and the caller still needs it.
  const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, Math.max(dbBytes, 1)));
  let hashed = 0;
  while (hashed < dbBytes) {
    if (signal?.aborted) throw abortError(signal);
    const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, dbBytes - hashed), hashed);
    if (bytesRead === 0) break;
    hash.update(chunk.subarray(0, bytesRead));
    hashed += bytesRead;
  }
  throwIfAborted(signal);
  const trailer = Buffer.alloc(TRAILER_BYTES);
  const { bytesRead } = await handle.read(trailer, 0, TRAILER_BYTES, dbBytes);
  if (hashed !== dbBytes || bytesRead !== TRAILER_BYTES) {
    throw snapshotInvalid(path, `the file shrank while being read (${hashed + bytesRead} of ${dbBytes + TRAILER_BYTES} bytes)`);
  }
  const actual = hash.digest();
  if (!actual.equals(trailer)) {
    throw snapshotInvalid(path, `its SHA-256 trailer ${trailer.toString('hex')} does not match the data before it (${actual.toString('hex')}): the file is corrupt or truncated`);
  }
  return actual.toString('hex');
}
