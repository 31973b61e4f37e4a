import type { BackupRecord } from './backup-record';

/**
 * What a backup runner does, reported through `RunBackupsOptions.onEvent` (for logs and
 * metrics), in order, for one replica:
 *
 * - `elected`: this replica leads; `token` is its fencing token.
 * - `skipped`: the current slot already has a recorded backup (by any replica); nothing is done
 *   until `nextAttemptAt` (epoch ms), the start of the next slot.
 * - `started`: a snapshot for `slot` is being streamed into `file` (a temporary name until done).
 * - `saved`: a verified backup was recorded; `adopted` when it is a complete file of the current
 *   slot that a previous leader saved but could not record (killed between the two steps).
 * - `failed`: an attempt failed (stream error, verification, disk full, etcd unavailable, the
 *   fenced record write refused); retried in the same slot after `retryInMs` while leading.
 *   The error also goes to `onError`. The last good record is untouched.
 * - `malformed-record`: the stored record could not be decoded; the slot is treated as not done
 *   and the next good backup overwrites it.
 * - `pruned`: files deleted by retention (`keep`), duplicate files of one slot left by a deposed
 *   leader, or stale temporary files of a killed process.
 * - `term-ended`: this replica stopped leading (`reason`: lost lease, resignation on stop).
 */
export type BackupEvent =
  | { readonly type: 'elected'; readonly instance: string; readonly token: number }
  | { readonly type: 'skipped'; readonly slot: number; readonly doneBy: string; readonly nextAttemptAt: number }
  | { readonly type: 'started'; readonly slot: number; readonly file: string }
  | { readonly type: 'saved'; readonly slot: number; readonly record: BackupRecord; readonly tookMs: number; readonly adopted: boolean }
  | { readonly type: 'failed'; readonly slot: number; readonly error: unknown; readonly retryInMs: number }
  | { readonly type: 'malformed-record'; readonly problem: string }
  | { readonly type: 'pruned'; readonly files: readonly string[] }
  | { readonly type: 'term-ended'; readonly reason: unknown };
