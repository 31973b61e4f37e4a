import type { ComparatorBuilder, ICompare, IOperation, IRequestOp, ITxnResponse } from 'etcd3';
import { recordLockHold } from './internal/metrics';
import type { Ownership } from './internal/ownership';

/** Options of {@link LockHandle.unlock}. */
export interface UnlockOptions {
  /**
   * Stops waiting for the delete (it goes on in the background until done or the session is
   * lost). The promise then rejects with `ABORTED`.
   */
  readonly signal?: AbortSignal;
}

/**
 * A held {@link Mutex} lock. Obtain one from `Mutex.lock()`/`tryLock()` or `withLock()`.
 *
 * Holding is only as good as the session: when `lost` fires, stop acting as the owner. Writes
 * to etcd that must only happen while the lock is held belong in a fenced transaction
 * ({@link fencedTxn}, {@link txn} or {@link compare}); writes to other systems should carry
 * {@link token} and the system should reject tokens lower than the highest it has seen.
 */
export class LockHandle implements AsyncDisposable {
  private readonly acquiredAtMs = performance.now();
  private holdRecorded = false;

  /** @internal Created by `Mutex`. */
  constructor(
    /** The lock name. */
    readonly name: string,
    /** The lock key, `NAME/<lease hex>` (Go layout). */
    readonly key: string,
    /**
     * Fencing token: the key's create revision. Strictly increasing across successive holders
     * of the name, so a resource can reject writes carrying a lower token than it has seen.
     */
    readonly token: number,
    private readonly ownership: Ownership,
  ) {}

  /**
   * Fires once when the lock is lost: the session was lost (the reason is the session's
   * `SessionLostError`, code `SESSION_LOST`) or the key was deleted by someone else (a
   * `LockError` with code `LOCK_LOST`). Session loss is decided from the client's own clock,
   * before etcd can expire the lease, so `lost` fires before another process can acquire the
   * lock; a key deleted by hand is seen after one watch round trip. It does not fire after
   * {@link unlock}.
   *
   * The watch on the key starts the first time `lost` (or {@link held}) is read, from the
   * revision at which the lock was verified, so a delete in between is still reported; a
   * handle nobody asks costs no watch stream.
   */
  get lost(): AbortSignal {
    return this.ownership.lost;
  }

  /**
   * True until unlocked or lost. Read at the moment it matters: it compares the monotonic clock
   * with the session's deadline, so the first read after a stalled event loop (a CPU-bound job,
   * a GC pause, a laptop resuming) that outlasted the lease is already false.
   */
  get held(): boolean {
    return this.ownership.held;
  }

  /**
   * The one-line check before a side effect outside etcd (sending mail, calling a service,
   * writing to another database): throws unless the lock is held at this moment. Writes to
   * other systems should still carry {@link token}: the check cannot stop a stall that begins
   * right after it.
   * @throws {LockError} `LOCK_LOST` once lost (`cause`: the session's `SessionLostError`, when
   *   that was why); `LOCK_NOT_HELD` after {@link unlock}.
   */
  assertHeld(): void {
    this.ownership.assertHeld();
  }

  /**
   * The fencing compare `CREATE(key) == token` as a raw etcd3 `ICompare`, for
   * `client.kv.txn({ compare: [handle.compare(), ...], success: [...] })`. A transaction with
   * it applies its writes only while this lock is held.
   */
  compare(): ICompare {
    return this.ownership.compare();
  }

  /**
   * An etcd3 transaction builder already guarded by the lock:
   * `await handle.txn().then(client.put('k').value('v')).commit()`. Check `succeeded`: false
   * means the lock was no longer held and nothing was written. Add compares with `.and(...)`.
   */
  txn(): ComparatorBuilder {
    return this.ownership.txn();
  }

  /**
   * Applies `ops` (raw `IRequestOp`s or etcd3 builders such as `client.put(k).value(v)`) in one
   * transaction guarded by the lock.
   *
   * Not retried: a write that failed with a retryable error may have been applied, and only the
   * caller knows whether it is safe to repeat.
   *
   * @returns the transaction response (`responses` are those of `ops`).
   * @throws {LockError} `LOCK_NOT_HELD` when the lock was released, lost, or the guard failed
   *   (nothing was written). {@link EtcdPatternsError} from etcd (`ETCD_UNAVAILABLE`: unknown
   *   outcome).
   */
  fencedTxn(...ops: Array<IRequestOp | IOperation>): Promise<ITxnResponse> {
    return this.ownership.fencedTxn(ops);
  }

  /**
   * Releases the lock: deletes the key if it still carries this token (so a key re-created
   * later is never touched). Retries retryable failures until done or the session is lost.
   * Idempotent, and safe after `lost` (a lost session's lease takes the key with it).
   * @throws {EtcdPatternsError} `ABORTED` when `signal` fires; non-retryable etcd errors
   *   such as `ETCD_PERMISSION_DENIED`.
   */
  unlock(options: UnlockOptions = {}): Promise<void> {
    if (!this.holdRecorded) {
      this.holdRecorded = true;
      recordLockHold(performance.now() - this.acquiredAtMs, this.ownership.wasLost());
    }
    return this.ownership.release(options.signal);
  }

  /** Same as {@link unlock}: `await using held = await mutex.lock()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.unlock();
  }
}
