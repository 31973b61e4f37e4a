import { prefixRangeEnd, throwIfAborted, toEtcdError, type Etcd3 } from '@etcd-patterns/etcd';
import { SortOrder, SortTarget } from 'etcd3';
import { backupElectionName, backupRecordKey } from './backup-names';
import { decodeBackupRecord, type StoredBackup } from './backup-record';

/** Options of {@link lastBackup}. */
export interface LastBackupOptions {
  readonly signal?: AbortSignal;
  /** Deadline of the read, in ms (default 5000). */
  readonly timeoutMs?: number;
}

/** What {@link lastBackup} found: the health of one backup name, as any replica sees it. */
export interface BackupStatus {
  readonly name: string;
  /** The last good backup record, none, or a malformed value (reported, never thrown). */
  readonly stored: StoredBackup;
  /**
   * Age of the last good backup (now minus its start time `at`, by this machine's clock), in
   * ms; `undefined` unless `stored.state` is `ok`. Never negative (a clock behind the writer's
   * reads 0).
   */
  readonly ageMs: number | undefined;
  /** Campaign value (instance) of the replica that leads now; `undefined` when none campaigns. */
  readonly leader: string | undefined;
}

/**
 * Reads the health of backup `name` for any replica, leader or not (or any other process): the
 * last good backup record and the current leader, in one linearizable transaction (so a member
 * cut off from the quorum answers with an error, not with stale data). Needs no session and
 * writes nothing. `runner.status()` adds whether this replica leads.
 * @throws {OpsError} `OPS_INVALID_ARGUMENT` for a malformed name. {@link EtcdPatternsError}
 *   `ABORTED`; `ETCD_*` errors of the read (`ETCD_UNAVAILABLE`, `ETCD_DEADLINE_EXCEEDED`: retryable).
 */
export async function lastBackup(client: Etcd3, name: string, options: LastBackupOptions = {}): Promise<BackupStatus> {
  const key = Buffer.from(backupRecordKey(name));
  const candidates = Buffer.from(`${backupElectionName(name)}/`);
  throwIfAborted(options.signal);
  let res;
  try {
    res = await client.kv.txn(
      {
        success: [
          { request_range: { key } },
          // The leader: the first-created candidate key (Go `concurrency.Election` layout).
          { request_range: { key: candidates, range_end: prefixRangeEnd(candidates), sort_order: SortOrder.Ascend, sort_target: SortTarget.Create, limit: 1 } },
        ],
      },
      { deadline: Date.now() + (options.timeoutMs ?? 5000) },
    );
  } catch (error) {
    throw toEtcdError(error, `read backup status of ${name}`);
  }
  throwIfAborted(options.signal);
  const recordKv = res.responses[0]?.response_range.kvs[0];
  const leaderKv = res.responses[1]?.response_range.kvs[0];
  const stored: StoredBackup = recordKv ? decodeBackupRecord(recordKv.value, Number(recordKv.mod_revision)) : { state: 'none' };
  const ageMs = stored.state === 'ok' ? Math.max(0, Date.now() - Date.parse(stored.record.at)) : undefined;
  return { name, stored, ageMs, leader: leaderKv ? leaderKv.value.toString('utf8') : undefined };
}
