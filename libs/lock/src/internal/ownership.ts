import { abortableSleep, Backoff, checkOnRead, toEtcdError, type Session } from '@etcd-patterns/etcd';
import type { ComparatorBuilder, ICompare, IOperation, IRequestOp, ITxnResponse } from 'etcd3';
import { LockError, type LockErrorCode } from '../errors';
import { LinkedSignal, raceSignal } from './abort';
import { createRevisionIs, deleteOp } from './ops';
import { waitKeyDeleted } from './wait-deletes';

/** Settings of an {@link Ownership}. */
export interface OwnershipInit {
  readonly session: Session;
  /** The owned key. */
  readonly key: string;
  /** Its create revision (fencing token). */
  readonly token: number;
  /** A revision at which the key was seen owning: the key watch starts after it. */
  readonly verifiedRevision: number;
  /** `lost.reason` code when the key is deleted by someone else. */
  readonly lostCode: Extract<LockErrorCode, 'LOCK_LOST' | 'ELECTION_LOST'>;
  /** Code thrown by {@link Ownership.fencedTxn} when the guard fails. */
  readonly notHeldCode: Extract<LockErrorCode, 'LOCK_NOT_HELD' | 'ELECTION_NOT_LEADER'>;
}

/**
 * The state shared by a held lock and a leadership: a `lost` signal (session lost, or the key
 * deleted by someone else: the key is watched from the moment ownership was verified), the
 * fencing compare, and an idempotent, retrying release.
 */
export class Ownership {
  private readonly ended = new AbortController();
  private lostLink: LinkedSignal | undefined;
  private releasing: Promise<void> | undefined;

  constructor(private readonly init: OwnershipInit) {}

  /**
   * Session lost, or key deleted by someone else. The key watch starts on first access (from
   * the revision at which ownership was verified, so an earlier delete is still seen): a handle
   * nobody asks about costs no watch stream, which halves the cost of a short lock/unlock cycle.
   * After {@link release} it no longer fires. Like the session's, it checks the session's
   * deadline whenever it is read, so the first read after a stalled event loop is truthful.
   */
  get lost(): AbortSignal {
    const { session, key, token, verifiedRevision, lostCode } = this.init;
    if (this.lostLink) {
      // Not only through the link's own check: inside a listener of `session.lost` that runs
      // before the link's (the link's check is then already on the stack), this still sees it.
      const sessionLost = session.lost;
      if (sessionLost.aborted && !this.ended.signal.aborted) this.lostLink.abort(sessionLost.reason);
      return this.lostLink.signal;
    }
    const link = new LinkedSignal([session.lost]);
    this.lostLink = link;
    // Propagates by itself: inside a listener of `session.lost` that runs before this link's,
    // the link must already read as lost.
    checkOnRead(link.signal, () => {
      if (this.ended.signal.aborted) return;
      const sessionLost = session.lost;
      if (sessionLost.aborted) link.abort(sessionLost.reason);
    });
    if (this.ended.signal.aborted || link.signal.aborted) {
      link.dispose();
      return link.signal;
    }
    const stop = new LinkedSignal([link.signal, this.ended.signal]);
    waitKeyDeleted(session.client, key, token, verifiedRevision + 1, stop.signal)
      .then(
        () => {
          if (!stop.signal.aborted) link.abort(new LockError(lostCode, `${key} was deleted by someone else`));
        },
        (error: unknown) => {
          if (!stop.signal.aborted) {
            link.abort(new LockError(lostCode, `cannot watch ${key}, so ownership cannot be trusted`, { cause: error }));
          }
        },
      )
      .finally(() => stop.dispose());
    return link.signal;
  }

  /**
   * Whether ownership was lost so far (session lost, or the key seen deleted), without starting
   * the key watch: for metrics at release time.
   */
  wasLost(): boolean {
    return this.init.session.lost.aborted || (this.lostLink?.signal.aborted ?? false);
  }

  /** True until released or lost; checks the session's deadline when read. */
  get held(): boolean {
    return !this.ended.signal.aborted && !this.lost.aborted;
  }

  /**
   * Throws unless held: `notHeldCode` after {@link release}, `lostCode` (with the loss as
   * `cause`, or the key-deleted error itself) once lost.
   */
  assertHeld(): void {
    const { key, token, lostCode, notHeldCode } = this.init;
    if (this.ended.signal.aborted) throw new LockError(notHeldCode, `${key} (token ${token}) was released`);
    const lost = this.lost;
    if (!lost.aborted) return;
    const reason: unknown = lost.reason;
    if (reason instanceof LockError && reason.code === lostCode) throw reason;
    throw new LockError(lostCode, `${key} (token ${token}) is no longer held: ${describe(reason)}`, { cause: reason });
  }

  /** `CREATE(key) == token`. */
  compare(): ICompare {
    return createRevisionIs(this.init.key, this.init.token);
  }

  /** An etcd3 transaction builder that starts with the guard. */
  txn(): ComparatorBuilder {
    return this.init.session.client.if(this.init.key, 'Create', '==', this.init.token);
  }

  /** Runs `ops` in one transaction guarded by the compare; see `LockHandle.fencedTxn`. */
  async fencedTxn(ops: ReadonlyArray<IRequestOp | IOperation>): Promise<ITxnResponse> {
    const notHeld = (why: string, cause?: unknown): LockError =>
      new LockError(this.init.notHeldCode, `${this.init.key} (token ${this.init.token}) ${why}`, { cause });
    if (this.ended.signal.aborted) throw notHeld('was released');
    // (Not `this.lost`: that would start the key watch; etcd checks the key anyway.)
    const gone = [this.init.session.lost, this.lostLink?.signal].find((s) => s?.aborted);
    if (gone) throw notHeld('was lost', gone.reason);
    const success = await Promise.all(ops.map((op) => (isOperation(op) ? op.op() : op)));
    let res: ITxnResponse;
    try {
      res = await this.init.session.client.kv.txn({ compare: [this.compare()], success });
    } catch (error) {
      throw toEtcdError(error, 'fenced txn');
    }
    if (!res.succeeded) throw notHeld('is no longer held: the guarded writes were not applied');
    return res;
  }

  /**
   * Deletes the key if it still has the token (retrying until done or the session is lost) and
   * stops watching it: `lost` does not fire for this delete. Idempotent. With a lost session,
   * one delete is sent without waiting (the lease takes the key with it anyway).
   */
  release(signal?: AbortSignal): Promise<void> {
    this.releasing ??= this.deleteKey();
    return raceSignal(this.releasing, signal);
  }

  private async deleteKey(): Promise<void> {
    this.ended.abort('released'); // (a reason: the default DOMException costs a stack trace)
    this.lostLink?.dispose();
    const { session, key, token } = this.init;
    const attempt = (): Promise<ITxnResponse> =>
      session.client.kv.txn({ compare: [createRevisionIs(key, token)], success: [deleteOp(key)] });
    if (session.lost.aborted) {
      attempt().catch(() => undefined);
      return;
    }
    const backoff = new Backoff({ initialMs: 50, maxMs: 1000 });
    const linked = new LinkedSignal([session.lost]);
    const lost = linked.signal;
    try {
      for (;;) {
        try {
          await raceSignal(attempt(), lost);
          return;
        } catch (error) {
          if (lost.aborted) return; // the lease is gone or going, and the key with it
          const e = toEtcdError(error, 'release');
          if (!e.retryable) throw e;
          await abortableSleep(backoff.next(), lost).catch(() => undefined);
        }
      }
    } finally {
      linked.dispose();
    }
  }
}

function describe(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}

function isOperation(op: IRequestOp | IOperation): op is IOperation {
  return typeof (op as Partial<IOperation>).op === 'function';
}
