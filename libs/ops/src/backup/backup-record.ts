import { throwIfAborted, toEtcdError, type Etcd3 } from '@etcd-patterns/etcd';
import { z } from 'zod';
import { backupRecordKey } from './backup-names';

/**
 * The last good backup of a name, stored as JSON at {@link backupRecordKey} by the leader with
 * a fenced write: it always names a file that was complete and verified (SHA-256 and bbolt
 * structure) when it was written.
 */
export interface BackupRecord {
  /** The slot the backup belongs to: `floor(at / intervalMs)` with the writer's interval. */
  readonly slot: number;
  /** File name, without the directory (replicas may mount the backup directory elsewhere). */
  readonly file: string;
  /** File size in bytes, SHA-256 trailer included. */
  readonly bytes: number;
  /** Hex SHA-256 of the database (etcd's trailer, checked). */
  readonly sha256: string;
  /** The store revision the snapshot holds (as `etcdctl snapshot status`). */
  readonly revision: number;
  /** Key/value pairs over all buckets (as `etcdctl snapshot status`). */
  readonly totalKeys: number;
  /** When the snapshot was started (ISO 8601, UTC); the time in the file name. */
  readonly at: string;
  /** The replica (campaign value) that wrote the record. */
  readonly by: string;
  /** Hex id of the etcd member that streamed the snapshot, when known. */
  readonly memberId?: string;
}

/** The zod schema of {@link BackupRecord}; unknown fields are dropped (newer writers may add some). */
export const backupRecordSchema = z.object({
  slot: z.number().int().min(0),
  file: z.string().min(1).regex(/^[^/\\]+$/, 'must be a file name, without a directory'),
  bytes: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
  revision: z.number().int().min(0),
  totalKeys: z.number().int().min(0),
  at: z.iso.datetime(),
  by: z.string().min(1),
  memberId: z.string().regex(/^[0-9a-f]+$/).optional(),
});

/**
 * What is stored at a backup's record key:
 * - `none`: nothing (no backup was ever recorded, or the key was deleted);
 * - `ok`: a valid {@link BackupRecord};
 * - `malformed`: a value that is not JSON or not a record, with what is wrong (`problem`). It is
 *   reported, never thrown; the next good backup overwrites it.
 */
export type StoredBackup =
  | { readonly state: 'none' }
  | { readonly state: 'ok'; readonly record: BackupRecord; readonly modRevision: number }
  | { readonly state: 'malformed'; readonly problem: string; readonly modRevision: number };

/** Decodes a stored record value; see {@link StoredBackup}. */
export function decodeBackupRecord(value: Buffer | string, modRevision: number): StoredBackup {
  let json: unknown;
  try {
    json = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (error) {
    return { state: 'malformed', problem: `not JSON (${(error as Error).message})`, modRevision };
  }
  const parsed = backupRecordSchema.safeParse(json);
  if (!parsed.success) {
    return { state: 'malformed', problem: parsed.error.issues.map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`).join('; '), modRevision };
  }
  return { state: 'ok', record: parsed.data, modRevision };
}

/** Encodes a record as stored (compact JSON, fields in a fixed order). */
export function encodeBackupRecord(record: BackupRecord): string {
  const { slot, file, bytes, sha256, revision, totalKeys, at, by, memberId } = record;
  return JSON.stringify({ slot, file, bytes, sha256, revision, totalKeys, at, by, ...(memberId ? { memberId } : {}) });
}

/** Options of {@link readBackupRecord}. */
export interface ReadBackupRecordOptions {
  readonly signal?: AbortSignal;
  /** Deadline of the read, in ms (default 5000). */
  readonly timeoutMs?: number;
}

/**
 * Reads the last good backup record of `name`, linearizably (it needs a quorum: a member cut off
 * from the others answers with an error, never with a stale record).
 * @throws {OpsError} `OPS_INVALID_ARGUMENT` for a malformed name. {@link EtcdPatternsError}
 *   `ABORTED`; `ETCD_*` errors of the read (`ETCD_UNAVAILABLE`, `ETCD_DEADLINE_EXCEEDED`: retryable).
 */
export async function readBackupRecord(client: Etcd3, name: string, options: ReadBackupRecordOptions = {}): Promise<StoredBackup> {
  const key = backupRecordKey(name);
  throwIfAborted(options.signal);
  let res;
  try {
    res = await client.kv.range({ key: Buffer.from(key) }, { deadline: Date.now() + (options.timeoutMs ?? 5000) });
  } catch (error) {
    throw toEtcdError(error, `read ${key}`);
  }
  const kv = res.kvs[0];
  return kv ? decodeBackupRecord(kv.value, Number(kv.mod_revision)) : { state: 'none' };
}
