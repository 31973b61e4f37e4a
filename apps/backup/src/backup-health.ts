import type { BackupRunnerStatus } from '@etcd-patterns/ops';

/**
 * `status` of `GET /health`:
 * - `ok`: the last good backup is at most `2 × interval + grace` old (HTTP 200);
 * - `starting`: no backup recorded yet, and this process started less than that long ago (200);
 * - `stale`: the last good backup is older than that (503);
 * - `missing`: still no backup after that long (503);
 * - `malformed`: the stored record cannot be decoded (503; the next good backup replaces it);
 * - `unavailable`: etcd did not answer the status read (503).
 */
export type BackupHealthStatus = 'ok' | 'starting' | 'stale' | 'missing' | 'malformed' | 'unavailable';

/** The JSON body of `GET /health`. */
export interface BackupHealthBody {
  readonly status: BackupHealthStatus;
  /** Whether this replica leads (is the one taking backups). */
  readonly leader: boolean;
  /** The last good backup, as recorded in etcd; `null` when there is none (or it is unreadable). */
  readonly lastBackup: {
    readonly ageMs: number;
    readonly bytes: number;
    readonly file: string;
    readonly revision: number;
    readonly slot: number;
    readonly at: string;
    readonly by: string;
  } | null;
  readonly name: string;
  readonly instance: string;
  /** Campaign value of the replica that leads now (`null`: none). */
  readonly leaderInstance: string | null;
  /** Age beyond which the backup counts as stale, in ms: `2 × intervalMs + graceMs`. */
  readonly maxAgeMs: number;
  /** What is wrong, for `malformed` and `unavailable`. */
  readonly problem?: string;
}

/** Inputs of {@link evaluateBackupHealth} besides the status. */
export interface BackupHealthContext {
  readonly name: string;
  readonly instance: string;
  readonly leading: boolean;
  readonly intervalMs: number;
  readonly graceMs: number;
  /** How long this process has been running the schedule, in ms. */
  readonly uptimeMs: number;
}

/**
 * The answer of `GET /health` for a status read (or the error it failed with): HTTP 200 with
 * `ok`/`starting`, 503 otherwise (see {@link BackupHealthStatus}). Stale means older than
 * `2 × intervalMs + graceMs`: one missed slot is tolerated, two are not.
 */
export function evaluateBackupHealth(read: BackupRunnerStatus | { readonly error: unknown }, context: BackupHealthContext): { httpStatus: 200 | 503; body: BackupHealthBody } {
  const maxAgeMs = 2 * context.intervalMs + context.graceMs;
  const base = { name: context.name, instance: context.instance, leader: context.leading, maxAgeMs };
  if ('error' in read) {
    const problem = read.error instanceof Error ? read.error.message : String(read.error);
    return { httpStatus: 503, body: { ...base, status: 'unavailable', lastBackup: null, leaderInstance: null, problem } };
  }
  const leaderInstance = read.leader ?? null;
  const stored = read.stored;
  if (stored.state === 'malformed') {
    return { httpStatus: 503, body: { ...base, status: 'malformed', lastBackup: null, leaderInstance, problem: stored.problem } };
  }
  if (stored.state === 'none') {
    const status = context.uptimeMs <= maxAgeMs ? 'starting' : 'missing';
    return { httpStatus: status === 'starting' ? 200 : 503, body: { ...base, status, lastBackup: null, leaderInstance } };
  }
  const { record } = stored;
  const ageMs = read.ageMs ?? 0;
  const status = ageMs <= maxAgeMs ? 'ok' : 'stale';
  return {
    httpStatus: status === 'ok' ? 200 : 503,
    body: {
      ...base,
      status,
      lastBackup: { ageMs, bytes: record.bytes, file: record.file, revision: record.revision, slot: record.slot, at: record.at, by: record.by },
      leaderInstance,
    },
  };
}
