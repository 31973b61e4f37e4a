import { throwIfAborted } from '@etcd-patterns/etcd';
import { checkTrailer, openSnapshot, TRAILER_BYTES } from './internal/snapshot-trailer';

/** Options for {@link verifySnapshotDigest}. */
export interface VerifySnapshotDigestOptions {
  /** Stops reading; the call then rejects with code `ABORTED`. */
  readonly signal?: AbortSignal;
}

/** What {@link verifySnapshotDigest} found. */
export interface SnapshotDigest {
  /** File size in bytes, trailer included. */
  readonly fileBytes: number;
  /** Whether the file ends with a SHA-256 trailer (by etcdctl's rule, {@link snapshotHasDigest}). */
  readonly present: boolean;
  /** Hex SHA-256 of the database, which matched the trailer (only when `present`). */
  readonly sha256?: string;
}

/**
 * Whether a snapshot file of `fileBytes` bytes ends with etcd's 32-byte SHA-256 trailer, decided
 * as etcd 3.4's restore decides it (`clientv3/snapshot` `saveDB`): `fileBytes % 512 === 32`.
 * A bbolt database is a whole number of pages (multiples of 512 bytes), so a file from
 * `etcdctl snapshot save` or the Maintenance.Snapshot stream has the trailer, and a `db` file
 * copied out of a data directory does not.
 */
export function snapshotHasDigest(fileBytes: number): boolean {
  return fileBytes % 512 === TRAILER_BYTES;
}

/**
 * Checks the SHA-256 trailer of a snapshot file against the bytes before it, streaming the file
 * (memory stays bounded whatever its size). It does not look inside the database; use
 * {@link readSnapshotFile} for that. A file without a trailer is not an error here: the result
 * says `present: false`.
 *
 * Cancellation: `signal` is checked on entry and between 1 MiB chunks; the file is closed either way.
 * @throws {OpsError} `OPS_SNAPSHOT_INVALID` when the trailer does not match (the file must not be
 *   restored); `OPS_INVALID_ARGUMENT` when the file cannot be opened (the `node:fs` error is the
 *   cause); `ABORTED`. Other read errors of `node:fs` propagate unchanged.
 */
export async function verifySnapshotDigest(path: string, options: VerifySnapshotDigestOptions = {}): Promise<SnapshotDigest> {
  throwIfAborted(options.signal);
  const handle = await openSnapshot(path);
  try {
    const fileBytes = (await handle.stat()).size;
    if (!snapshotHasDigest(fileBytes)) return { fileBytes, present: false };
    const sha256 = await checkTrailer(handle, path, fileBytes - TRAILER_BYTES, options.signal);
    return { fileBytes, present: true, sha256 };
  } finally {
    await handle.close();
  }
}
