import { abortError, isEtcdPatternsError, throwIfAborted, type Session } from '@etcd-patterns/etcd';
import { LockError } from './errors';
import { LockHandle } from './lock-handle';
import { LinkedSignal } from './internal/abort';
import { nameKeys, validateName, type NameKeys } from './internal/names';
import { Ownership } from './internal/ownership';
import { enqueue, type EnqueueState } from './internal/queue-key';
import { waitDeletes } from './internal/wait-deletes';
import { cleanUpKey } from './internal/clean-up';
import { recordLockWait, type LockWaitOutcome } from './internal/metrics';

/** Options of {@link Mutex.lock}. */
export interface MutexLockOptions {
  /**
   * Gives up waiting: `lock()` rejects with `ABORTED` and the waiter's key is deleted (retried
   * in the background until done or the session is lost).
   */
  readonly signal?: AbortSignal;
}

/** Options of {@link Mutex.tryLock}. */
export interface MutexTryLockOptions {
  /** Aborts the attempt (`ABORTED`); the key is deleted as for {@link Mutex.lock}. */
  readonly signal?: AbortSignal;
}

/**
 * A distributed mutex with the exact key layout and transactions of etcd's Go
 * `concurrency.Mutex`, so it excludes Go services and `etcdctl lock NAME` holding the same
 * name. Each waiter owns the key `NAME/<lease hex>` attached to the session's lease; the owner
 * is the key with the lowest create revision; waiters queue in FIFO order and each watches only
 * its predecessor, so a release wakes exactly one waiter.
 *
 * Keys come from the session's lease, so the same session can hold one lock per name. Unlike
 * Go (where a second `Mutex` on the same session and name shares the key and "acquires" at
 * once), a second `lock()` on the same session and name, from this or another `Mutex` object,
 * waits until the first is released; use one `Session` per concurrent holder only if they must
 * queue among other processes' waiters in strict FIFO order.
 *
 * Every key under `NAME/` counts as a waiter: never store other data under that prefix.
 *
 * Constructing a `Mutex` does no I/O.
 *
 * **Metrics** (OpenTelemetry, no-ops without a MeterProvider): every `lock()`/`tryLock()` is
 * timed into `etcd_patterns.lock.wait.duration`, every hold (acquisition to `unlock()`) into
 * `etcd_patterns.lock.hold.duration`. Lock names are not recorded (they often carry ids).
 *
 * @example
 * await using held = await new Mutex(session, 'jobs/nightly').lock({ signal });
 * await held.fencedTxn(client.put('jobs/nightly/state').value('running'));
 */
export class Mutex {
  private readonly keys: NameKeys;

  /**
   * @param session the session whose lease the waiter key is attached to.
   * @param name the lock name, used verbatim as in Go (`NAME/` is the key prefix).
   * @throws {LockError} `LOCK_INVALID_NAME`.
   */
  constructor(
    readonly session: Session,
    name: string,
  ) {
    this.keys = nameKeys(session, validateName(name, 'lock'));
  }

  /** The lock name. */
  get name(): string {
    return this.keys.name;
  }

  /** This session's key for the name, `NAME/<lease hex>`. */
  get key(): string {
    return this.keys.key;
  }

  /**
   * Waits until the lock is held.
   *
   * **Fault behaviour.** Retryable etcd errors (member down, leader change) are retried with
   * backoff for as long as the signal and the session allow; every step is idempotent, so a
   * retried write never queues twice. After the wait, the waiter's own key is read again: if
   * the lease expired while queued the lock is not held and `lock()` rejects (etcd 3.4's own
   * client would report success here).
   *
   * @throws {LockError} `LOCK_SESSION_EXPIRED` when the session is or becomes lost, or the key
   *   vanished while queued. {@link EtcdPatternsError} `ABORTED` when `signal` fires; other
   *   non-retryable etcd errors (`ETCD_PERMISSION_DENIED`, ...). On every failure the waiter
   *   key is deleted.
   */
  async lock(options: MutexLockOptions = {}): Promise<LockHandle> {
    return (await this.acquire(options.signal, true))!;
  }

  /**
   * Takes the lock if nobody holds it or waits for it, without waiting.
   * @returns the handle, or `undefined` when the lock is taken (the waiter key is removed).
   * @throws the same errors as {@link lock}.
   */
  tryLock(options: MutexTryLockOptions = {}): Promise<LockHandle | undefined> {
    return this.acquire(options.signal, false);
  }

  // Times the whole wait into `etcd_patterns.lock.wait.duration`.
  private async acquire(callerSignal: AbortSignal | undefined, wait: boolean): Promise<LockHandle | undefined> {
    const started = performance.now();
    let outcome: LockWaitOutcome = 'failed';
    try {
      const handle = await this.queueAndWait(callerSignal, wait);
      outcome = handle ? 'acquired' : 'taken';
      return handle;
    } finally {
      recordLockWait(performance.now() - started, outcome);
    }
  }

  private async queueAndWait(callerSignal: AbortSignal | undefined, wait: boolean): Promise<LockHandle | undefined> {
    throwIfAborted(callerSignal);
    const { session } = this;
    const { prefix, key, name } = this.keys;
    if (session.lost.aborted) throw expired(this.keys, session.lost.reason);
    const linked = new LinkedSignal([callerSignal, session.lost]);
    const signal = linked.signal;
    const state: EnqueueState = { mine: undefined };
    try {
      const queued = await enqueue(session, prefix, key, { value: Buffer.alloc(0), signal, waitIfTaken: wait, state });
      if (!queued) return undefined;
      let verified: number | undefined = queued.revision;
      if (!queued.first) {
        if (!wait) {
          await cleanUpKey(session, key, state.mine);
          return undefined;
        }
        verified = await waitDeletes(session.client, prefix, key, queued.createRevision, signal);
        if (verified === undefined) {
          state.mine = undefined;
          throw expired(this.keys, undefined, 'its key vanished while it waited (lease expired or key deleted)');
        }
      }
      if (session.lost.aborted) throw expired(this.keys, session.lost.reason);
      const ownership = new Ownership({
        session,
        key,
        token: queued.createRevision,
        verifiedRevision: verified,
        lostCode: 'LOCK_LOST',
        notHeldCode: 'LOCK_NOT_HELD',
      });
      return new LockHandle(name, key, queued.createRevision, ownership);
    } catch (error) {
      await cleanUpKey(session, key, state.mine);
      if (error instanceof LockError) throw error;
      if (session.lost.aborted) throw expired(this.keys, session.lost.reason);
      if (callerSignal?.aborted) throw abortError(callerSignal);
      if (isEtcdPatternsError(error, 'ETCD_LEASE_NOT_FOUND')) throw expired(this.keys, error);
      throw error;
    } finally {
      linked.dispose();
    }
  }
}

function expired(keys: NameKeys, cause: unknown, why = 'the session was lost'): LockError {
  return new LockError('LOCK_SESSION_EXPIRED', `lock ${JSON.stringify(keys.name)} not acquired: ${why}`, { cause });
}
