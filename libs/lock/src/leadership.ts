import { abortableSleep, Backoff, throwIfAborted, toEtcdError } from '@etcd-patterns/etcd';
import type { ComparatorBuilder, ICompare, IOperation, IRequestOp, ITxnResponse } from 'etcd3';
import type { Session } from '@etcd-patterns/etcd';
import { LockError } from './errors';
import { LinkedSignal, raceSignal } from './internal/abort';
import { recordLeadershipChange } from './internal/metrics';
import { createRevisionIs, putOp } from './internal/ops';
import type { Ownership } from './internal/ownership';

/** Options of {@link Leadership.proclaim} and {@link Leadership.resign}. */
export interface LeadershipCallOptions {
  /** Stops waiting (`ABORTED`). A proclamation already sent may still be applied. */
  readonly signal?: AbortSignal;
}

/**
 * Leadership won by `Election.campaign()`. Compatible with Go's `concurrency.Election`: the
 * leader key is `NAME/<lease hex>` and its value is the proclaimed value.
 *
 * Act as leader only while `lost` has not fired, and guard writes to etcd with
 * {@link fencedTxn} (or {@link compare}/{@link txn}); pass {@link token} to other systems.
 */
export class Leadership implements AsyncDisposable {
  private currentValue: string;
  private endRecorded = false;

  /** @internal Created by `Election`. */
  constructor(
    private readonly session: Session,
    /** The election name. */
    readonly name: string,
    /** The leader key, `NAME/<lease hex>`. */
    readonly key: string,
    /** Fencing token: the leader key's create revision (Go's `Rev()`). */
    readonly token: number,
    value: string,
    private readonly ownership: Ownership,
  ) {
    this.currentValue = value;
  }

  /** The value last proclaimed (the campaign value until {@link proclaim} succeeds). */
  get value(): string {
    return this.currentValue;
  }

  /**
   * Fires once when leadership is lost: the session was lost (reason: the session's
   * `SessionLostError`) or the leader key was deleted by someone else (a `LockError`,
   * `ELECTION_LOST`). Session loss is decided from the client's own clock before etcd can expire
   * the lease, so it fires before another candidate can be elected. Not fired by {@link resign}.
   * As for `LockHandle.lost`, the key watch starts the first time `lost` or {@link held} is read.
   */
  get lost(): AbortSignal {
    return this.ownership.lost;
  }

  /** True until resigned or lost; checked against the clock when read, like `LockHandle.held`. */
  get held(): boolean {
    return this.ownership.held;
  }

  /**
   * Throws unless this candidate leads at this moment: the one-line check before a side effect
   * outside etcd. Carry {@link token} to other systems as well.
   * @throws {LockError} `ELECTION_LOST` once lost (`cause`: the session's `SessionLostError`,
   *   when that was why); `ELECTION_NOT_LEADER` after {@link resign}.
   */
  assertHeld(): void {
    this.ownership.assertHeld();
  }

  /**
   * Publishes a new value on the leader key (`If CREATE(K)==token Then Put(K, value, lease)`),
   * seen by every observer. Retryable errors are retried until done, `signal` fires or the
   * session is lost (repeating the same put is harmless).
   * @throws {LockError} `ELECTION_NOT_LEADER` when leadership was resigned or lost, or the
   *   guard failed. {@link EtcdPatternsError} `ABORTED`; non-retryable etcd errors.
   */
  async proclaim(value: string, options: LeadershipCallOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    const notLeader = (why: string, cause?: unknown): LockError =>
      new LockError('ELECTION_NOT_LEADER', `cannot proclaim on ${this.key}: ${why}`, { cause });
    if (!this.held) throw notLeader(this.lost.aborted ? 'leadership was lost' : 'resigned', this.lost.reason);
    const linked = new LinkedSignal([options.signal, this.lost]);
    try {
      await this.putValue(value, linked.signal, options.signal, notLeader);
    } finally {
      linked.dispose();
    }
  }

  private async putValue(
    value: string,
    signal: AbortSignal,
    callerSignal: AbortSignal | undefined,
    notLeader: (why: string, cause?: unknown) => LockError,
  ): Promise<void> {
    const backoff = new Backoff({ initialMs: 50, maxMs: 1000 });
    for (;;) {
      let res: ITxnResponse;
      try {
        res = await raceSignal(
          this.session.client.kv.txn({
            compare: [createRevisionIs(this.key, this.token)],
            success: [putOp(this.key, Buffer.from(value), this.session.leaseId)],
          }),
          signal,
        );
      } catch (error) {
        if (this.lost.aborted) throw notLeader('leadership was lost', this.lost.reason);
        throwIfAborted(callerSignal);
        const e = toEtcdError(error, 'proclaim');
        if (!e.retryable) throw e;
        await abortableSleep(backoff.next(), signal).catch(() => undefined);
        continue;
      }
      if (!res.succeeded) throw notLeader('the leader key is gone or was re-created');
      this.currentValue = value;
      return;
    }
  }

  /** The fencing compare `CREATE(key) == token` (raw etcd3 `ICompare`). See `LockHandle.compare`. */
  compare(): ICompare {
    return this.ownership.compare();
  }

  /** An etcd3 transaction builder guarded by leadership; check `succeeded`. See `LockHandle.txn`. */
  txn(): ComparatorBuilder {
    return this.ownership.txn();
  }

  /**
   * Applies `ops` in one transaction guarded by leadership. Not retried.
   * @throws {LockError} `ELECTION_NOT_LEADER` when resigned, lost, or the guard failed (nothing
   *   was written). {@link EtcdPatternsError} from etcd (`ETCD_UNAVAILABLE`: unknown outcome).
   */
  fencedTxn(...ops: Array<IRequestOp | IOperation>): Promise<ITxnResponse> {
    return this.ownership.fencedTxn(ops);
  }

  /**
   * Gives up leadership: `If CREATE(K)==token Then Delete(K)`, so the next candidate is elected
   * at once. Retries until done or the session is lost; idempotent; safe after `lost`.
   * @throws {EtcdPatternsError} `ABORTED` when `signal` fires (the delete goes on in the
   *   background); non-retryable etcd errors.
   */
  resign(options: LeadershipCallOptions = {}): Promise<void> {
    if (!this.endRecorded) {
      this.endRecorded = true;
      recordLeadershipChange(this.name, this.ownership.wasLost() ? 'lost' : 'resigned');
    }
    return this.ownership.release(options.signal);
  }

  /** Same as {@link resign}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.resign();
  }
}
