import { abortableSleep, abortError, Backoff, throwIfAborted, toEtcdError, type Session } from '@etcd-patterns/etcd';
import { raceSignal } from './abort';
import { createRevisionIs, firstCreatedOp, getOp, putOp } from './ops';
import { waitKeyDeleted } from './wait-deletes';

/** This session's key in a lock or election queue, as the enqueue transaction left it. */
export interface QueueKey {
  /** Create revision of the key: the queue position and fencing token. */
  readonly createRevision: number;
  /** Header revision of the transaction. */
  readonly revision: number;
  /** Whether the key was the first-created one under the prefix at `revision`. */
  readonly first: boolean;
  /** The key's value at `revision`. */
  readonly value: Buffer;
}

/**
 * What is known about whether a key of ours exists: its create revision; `'unknown'` after a
 * transaction whose outcome is unknown (it may have created the key); `undefined` when nothing
 * of ours exists; or a promise of one of these while a transaction is still in flight.
 */
export type Mine = number | 'unknown' | undefined;

/** What {@link enqueue} learned about a key that may or may not be ours. */
export interface EnqueueState {
  mine: Mine | Promise<Mine>;
}

/** Options of {@link enqueue}. */
export interface EnqueueOptions {
  /** Value of a newly created key. */
  readonly value: Buffer;
  /** Aborts (caller's signal combined with the session's `lost`). */
  readonly signal: AbortSignal;
  /** When the key already exists and is not ours: wait for it to go (true) or give up (false). */
  readonly waitIfTaken: boolean;
  /** Updated as the outcome becomes known, so the caller can clean up after a failure. */
  readonly state: EnqueueState;
}

/**
 * Creates `key` under `prefix` for the session's lease with Go's acquire transaction:
 * `If CREATE(key)==0 Then [Put(key, value, lease), Range(first created)] Else [Range(key),
 * Range(first created)]`. The transaction is retry-safe and is retried on retryable errors
 * with backoff until `signal` fires.
 *
 * The key is named after the lease, so one that already exists on the first attempt belongs
 * to another `Mutex`/`Election` object of this process on the same session and name. Go would
 * share it (both "hold" the lock); here the caller waits for it to be deleted, then queues
 * normally (`waitIfTaken`), or gets `undefined`. After an attempt whose outcome is unknown, an
 * existing key is assumed to be ours (the lost attempt created it).
 *
 * @throws {EtcdPatternsError} the abort error of `signal`; non-retryable etcd errors
 *   (`ETCD_LEASE_NOT_FOUND` when the lease is gone).
 */
export async function enqueue(session: Session, prefix: string, key: string, options: EnqueueOptions): Promise<QueueKey | undefined> {
  const { signal, state } = options;
  const client = session.client;
  const backoff = new Backoff({ initialMs: 50, maxMs: 1000 });
  let ambiguous = false;
  for (;;) {
    throwIfAborted(signal);
    let res;
    const known = state.mine as Mine;
    const sent = client.kv.txn({
      compare: [createRevisionIs(key, 0)],
      success: [putOp(key, options.value, session.leaseId), firstCreatedOp(prefix)],
      failure: [getOp(key), firstCreatedOp(prefix)],
    });
    try {
      res = await raceSignal(sent, signal);
    } catch (error) {
      if (signal.aborted) {
        // Abandoned in flight: what it did decides what the caller must clean up.
        state.mine = sent.then(
          (r): Mine => (r.succeeded ? Number(r.header.revision) : ambiguous ? 'unknown' : known),
          (): Mine => 'unknown',
        );
        throw abortError(signal);
      }
      const e = toEtcdError(error, 'lock enqueue');
      if (!e.retryable) {
        if (e.code === 'ETCD_LEASE_NOT_FOUND') state.mine = undefined; // nothing was written
        throw e;
      }
      ambiguous = true;
      state.mine = 'unknown';
      await abortableSleep(backoff.next(), signal);
      continue;
    }
    const revision = Number(res.header.revision);
    const firstKv = res.responses[1]?.response_range.kvs[0];
    if (res.succeeded) {
      state.mine = revision;
      return { createRevision: revision, revision, first: Number(firstKv?.create_revision) === revision, value: options.value };
    }
    const existing = res.responses[0]!.response_range.kvs[0]!;
    const createRevision = Number(existing.create_revision);
    if (ambiguous) {
      // An earlier attempt of ours may have created it: it is ours.
      state.mine = createRevision;
      return { createRevision, revision, first: Number(firstKv?.create_revision) === createRevision, value: existing.value };
    }
    state.mine = undefined;
    if (!options.waitIfTaken) return undefined;
    await waitKeyDeleted(client, key, createRevision, revision + 1, signal);
    backoff.reset();
  }
}
