import { abortableSleep, Backoff, Session, toEtcdError } from '@etcd-patterns/etcd';
import { runAsLeader, type Leadership } from '@etcd-patterns/lock';
import { resolveBackupOptions, type ResolvedBackupOptions, type RunBackupsOptions } from './backup-options';
import { backupElectionName } from './backup-names';
import { runBackupTerm } from './internal/backup-term';
import { lastBackup, type BackupStatus, type LastBackupOptions } from './last-backup';

/** {@link BackupStatus} as seen by a running replica. */
export interface BackupRunnerStatus extends BackupStatus {
  /** Whether this replica leads (and so is the one taking backups) at this moment. */
  readonly leading: boolean;
}

/** A running backup replica, returned by {@link runBackups}. */
export interface BackupRunner extends AsyncDisposable {
  readonly name: string;
  /** This replica's campaign value (the records' `by`). */
  readonly instance: string;
  /** The directory the backups go to. */
  readonly dir: string;
  readonly intervalMs: number;
  /**
   * True while this replica leads. Checked against the lease deadline when read: false at once
   * after a stall that outlasted the lease, even before any timer ran.
   */
  readonly leading: boolean;
  /**
   * Settles when the runner has stopped (after {@link close} or the `signal`): resolves, or
   * rejects with the non-retryable error that stopped it (`ETCD_PERMISSION_DENIED`,
   * `ETCD_AUTH_FAILED`, ...). Retryable failures never end it.
   */
  readonly done: Promise<void>;
  /** {@link lastBackup} plus whether this replica leads. Same errors as {@link lastBackup}. */
  status(options?: LastBackupOptions): Promise<BackupRunnerStatus>;
  /**
   * Stops: an in-flight snapshot is aborted (its temporary file removed), leadership resigned
   * (another replica takes over at once, and skips the slot if it was already recorded).
   * Resolves when stopped; never rejects. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Scheduled, verified backups of an etcd cluster, taken by exactly one of any number of
 * replicas at a time (all started with the same `name`).
 *
 * **Leadership.** Each replica campaigns in the election `/elections/backup/<name>`
 * (`runAsLeader`, one session per term with a `sessionTtlSeconds` lease). Only the leader
 * takes backups; the others wait as candidates.
 *
 * **Schedule.** Time is cut in slots of `intervalMs`: slot = `floor(now / intervalMs)` (wall
 * clock). In each slot the leader reads the record `/ops/backup/<name>/last`; if it already
 * holds this slot (or the next one), by any replica, the slot is skipped. Otherwise, if the term's
 * signal has not fired (reading it checks the lease deadline), it streams a snapshot into
 * `<dir>/etcd-<name>-<time>-slot<N>.db` with `saveSnapshot(..., { verify: 'full' })` (temporary
 * file, fsync, SHA-256 and bbolt checks, rename), then records it with a write fenced by
 * leadership (`{ slot, file, bytes, sha256, revision, totalKeys, at, by }`), deletes its name's
 * files beyond the newest `keep` (never other files), and waits for the next slot. A new
 * leader therefore never takes a second backup in a slot that was recorded.
 *
 * **Failures.** A failed attempt (stream error, verification failure, disk full, etcd
 * unavailable, record write refused) goes to `onError` and a `failed` event and is retried in
 * the same slot after a back-off (`retryDelayMs`, doubling up to the interval); the last good
 * record is untouched and no partial file is left.
 *
 * **Faults.**
 * - *etcd member or cluster restart:* reads, the snapshot stream and the record write fail
 *   with `ETCD_UNAVAILABLE` and are retried (the snapshot restarts from scratch). Keepalives
 *   go to other members; if no member answers for the lease TTL, the leader loses its term
 *   (below) and campaigns again with a new session when etcd is back.
 * - *a member cut off from the quorum:* its linearizable reads and the fenced write fail, so
 *   nothing is recorded from a stale view; a snapshot stream that stops delivering data is
 *   abandoned after `snapshotIdleTimeoutMs` and retried.
 * - *lease expiry (leader cut off from etcd, or lease lost):* the term's signal fires from the
 *   client's own clock before etcd can expire the lease, so before another replica can win;
 *   the in-flight snapshot is aborted and its temporary file removed, and the fenced write
 *   would be refused anyway. The next leader reads the record and skips the slot if it is done.
 * - *kill -9 of the leader:* its lease expires after at most `sessionTtlSeconds`; another
 *   replica is then elected and continues with the current slot (skipped if recorded). A
 *   complete file the killed leader renamed into place but had not recorded yet is verified and
 *   recorded ("adopted") by the new leader when it is of the current slot, or pruned as a
 *   duplicate later; a temporary file it left is deleted once 10 minutes (or 2 intervals,
 *   whichever is longer) old.
 * - *process pause (SIGSTOP, GC, VM freeze) longer than the lease:* on resume the first read of
 *   the signal reports the loss: no new snapshot starts, the fenced write is refused, and a
 *   file renamed during the resume (a snapshot paused between verification and rename) is
 *   pruned as a duplicate by the leader. Such a replica never prunes.
 * - *clock skew:* slots follow the leader's wall clock. A record up to one slot ahead of it
 *   counts as done (that slot is skipped too); one further ahead is from a wrong clock and is
 *   not trusted (the current slot is backed up and the record replaced).
 * - *interval changed:* a record counts for the slot of its start time `at` in the new
 *   interval; retention orders files by start time, so old and new files mix correctly.
 *
 * Cancellation: `options.signal` or {@link BackupRunner.close}.
 * @returns once the options are valid and the directory exists; the runner works in the background.
 * @throws {OpsError} `OPS_INVALID_ARGUMENT` for invalid options (`intervalMs` < 1000, `keep`
 *   < 1, a relative `dir` or one that cannot be created or written, a malformed `name`).
 */
export async function runBackups(options: RunBackupsOptions): Promise<BackupRunner> {
  const o = await resolveBackupOptions(options);
  return Runner.start(o);
}

class Runner implements BackupRunner {
  private readonly stop = new AbortController();
  private leadership: Leadership | undefined;
  private running: Promise<void> = Promise.resolve();

  private constructor(private readonly o: ResolvedBackupOptions) {}

  /** Creates the runner and starts its loop. */
  static start(o: ResolvedBackupOptions): Runner {
    const runner = new Runner(o);
    runner.begin();
    return runner;
  }

  private begin(): void {
    const outer = this.o.signal;
    const onAbort = (): void => this.stop.abort(outer!.reason);
    if (outer?.aborted) onAbort();
    else outer?.addEventListener('abort', onAbort, { once: true });
    this.running = this.loop().finally(() => outer?.removeEventListener('abort', onAbort));
    // `done` is for callers who want it; an unobserved rejection must not crash the host.
    this.running.catch(() => undefined);
  }

  get done(): Promise<void> {
    return this.running;
  }

  get name(): string {
    return this.o.name;
  }
  get instance(): string {
    return this.o.instance;
  }
  get dir(): string {
    return this.o.dir;
  }
  get intervalMs(): number {
    return this.o.intervalMs;
  }
  get leading(): boolean {
    return this.leadership?.held ?? false;
  }

  async status(options: LastBackupOptions = {}): Promise<BackupRunnerStatus> {
    const status = await lastBackup(this.o.client, this.o.name, { timeoutMs: this.o.callTimeoutMs, ...options });
    return { ...status, leading: this.leading };
  }

  async close(): Promise<void> {
    this.stop.abort(new Error('backup runner closed'));
    await this.done.catch(() => undefined);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async loop(): Promise<void> {
    const { o } = this;
    const stop = this.stop.signal;
    const backoff = new Backoff({ initialMs: 500, maxMs: 30_000 });
    const newSession = async (): Promise<Session> => {
      for (;;) {
        try {
          const session = await Session.create(o.client, { ttlSeconds: o.sessionTtlSeconds, signal: stop });
          backoff.reset();
          return session;
        } catch (error) {
          const e = toEtcdError(error, 'backup session');
          if (stop.aborted || !e.retryable) throw e;
          o.onError(e);
          await abortableSleep(backoff.next(), stop);
        }
      }
    };
    const task = async (leadership: Leadership, signal: AbortSignal): Promise<void> => {
      this.leadership = leadership;
      try {
        await runBackupTerm(o, leadership, signal);
      } finally {
        this.leadership = undefined;
      }
    };
    while (!stop.aborted) {
      try {
        await runAsLeader(newSession, backupElectionName(o.name), o.instance, task, { signal: stop, onError: o.onError });
        return;
      } catch (error) {
        if (stop.aborted) return;
        const e = toEtcdError(error, 'backup election');
        if (!e.retryable) throw e;
        o.onError(e);
        await abortableSleep(backoff.next(), stop).catch(() => undefined);
      }
    }
  }
}
