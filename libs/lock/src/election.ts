import { abortError, isEtcdPatternsError, throwIfAborted, toEtcdError, toKeyValue, type Session } from '@etcd-patterns/etcd';
import { LockError } from './errors';
import { toLeaderInfo, type LeaderChange, type LeaderInfo } from './leader-info';
import { Leadership } from './leadership';
import { LinkedSignal, raceSignal } from './internal/abort';
import { cleanUpKey } from './internal/clean-up';
import { recordLeadershipChange } from './internal/metrics';
import { nameKeys, validateName, type NameKeys } from './internal/names';
import { observeLeader } from './internal/observe-leader';
import { firstCreatedOp } from './internal/ops';
import { Ownership } from './internal/ownership';
import { enqueue, type EnqueueState } from './internal/queue-key';
import { waitDeletes } from './internal/wait-deletes';

/** Options of {@link Election.campaign}. */
export interface CampaignOptions {
  /** Gives up: `campaign()` rejects with `ABORTED` and the candidate key is deleted. */
  readonly signal?: AbortSignal;
}

/** Options of {@link Election.leader}. */
export interface LeaderOptions {
  /** Stops waiting for the answer (`ABORTED`). */
  readonly signal?: AbortSignal;
}

/** Options of {@link Election.observe}. */
export interface ObserveOptions {
  /** Ends the iteration (without an error) and closes the watch. */
  readonly signal?: AbortSignal;
  /** How often etcd is probed while no change arrives, in ms. Default 5000. */
  readonly probeIntervalMs?: number;
  /**
   * How long etcd may stay unreachable before the iteration throws `ETCD_UNAVAILABLE` rather
   * than keep reporting a leader it can no longer vouch for, in ms. Default 30000.
   */
  readonly unavailableTimeoutMs?: number;
}

/**
 * Leader election with the key layout and transactions of etcd's Go `concurrency.Election`,
 * compatible with Go services and `etcdctl elect NAME VALUE`. Each candidate owns
 * `NAME/<lease hex>` (value: its proposal) on the session's lease; the leader is the candidate
 * with the lowest create revision; candidates wait in FIFO order, each watching only its
 * predecessor.
 *
 * One session holds at most one candidacy per name: a second `campaign()` on the same session
 * and name (from any `Election` object) waits until the first ends (Go would share the key and
 * proclaim the new value over it).
 *
 * Every key under `NAME/` counts as a candidate: never store other data under that prefix.
 *
 * Constructing an `Election` does no I/O.
 *
 * **Metrics** (OpenTelemetry, no-ops without a MeterProvider): winning counts into
 * `etcd_patterns.lock.leadership.changes` as `elected`, the first `resign()` as `resigned`, or
 * `lost` when leadership was lost before it (`runAsLeader` always resigns), by `election.name`.
 */
export class Election {
  private readonly keys: NameKeys;

  /**
   * @param session the session whose lease the candidate key is attached to.
   * @param name the election name, used verbatim as in Go (`NAME/` is the key prefix).
   * @throws {LockError} `LOCK_INVALID_NAME`.
   */
  constructor(
    readonly session: Session,
    name: string,
  ) {
    this.keys = nameKeys(session, validateName(name, 'election'));
  }

  /** The election name. */
  get name(): string {
    return this.keys.name;
  }

  /** This session's candidate key, `NAME/<lease hex>`. */
  get key(): string {
    return this.keys.key;
  }

  /**
   * Becomes a candidate with `value` and waits until elected.
   *
   * **Fault behaviour.** As `Mutex.lock()`: retryable etcd errors are retried for as long as the
   * signal and the session allow, every write is idempotent, and after the wait the candidate key
   * is read again, so a candidate whose lease expired while waiting gets an error, never a
   * leadership it does not hold.
   *
   * @throws {LockError} `ELECTION_SESSION_EXPIRED` when the session is or becomes lost, or the
   *   key vanished while waiting. {@link EtcdPatternsError} `ABORTED` when `signal` fires; other
   *   non-retryable etcd errors. On every failure the candidate key is deleted.
   */
  async campaign(value: string, options: CampaignOptions = {}): Promise<Leadership> {
    throwIfAborted(options.signal);
    if (typeof value !== 'string') throw new TypeError('campaign value must be a string');
    const { session } = this;
    const { prefix, key, name } = this.keys;
    if (session.lost.aborted) throw this.expired(session.lost.reason);
    const linked = new LinkedSignal([options.signal, session.lost]);
    const signal = linked.signal;
    const state: EnqueueState = { mine: undefined };
    try {
      const queued = (await enqueue(session, prefix, key, { value: Buffer.from(value), signal, waitIfTaken: true, state }))!;
      let verified: number | undefined = queued.revision;
      if (!queued.first) {
        verified = await waitDeletes(session.client, prefix, key, queued.createRevision, signal);
        if (verified === undefined) {
          state.mine = undefined;
          throw this.expired(undefined, 'its key vanished while it waited (lease expired or key deleted)');
        }
      }
      if (session.lost.aborted) throw this.expired(session.lost.reason);
      const ownership = new Ownership({
        session,
        key,
        token: queued.createRevision,
        verifiedRevision: verified,
        lostCode: 'ELECTION_LOST',
        notHeldCode: 'ELECTION_NOT_LEADER',
      });
      const leadership = new Leadership(session, name, key, queued.createRevision, queued.value.toString('utf8'), ownership);
      recordLeadershipChange(name, 'elected');
      if (leadership.value !== value) {
        try {
          await leadership.proclaim(value, { signal: options.signal });
        } catch (error) {
          await leadership.resign().catch(() => undefined);
          throw error;
        }
      }
      return leadership;
    } catch (error) {
      await cleanUpKey(session, key, state.mine);
      if (error instanceof LockError) throw error;
      if (session.lost.aborted) throw this.expired(session.lost.reason);
      if (options.signal?.aborted) throw abortError(options.signal);
      if (isEtcdPatternsError(error, 'ETCD_LEASE_NOT_FOUND')) throw this.expired(error);
      throw error;
    } finally {
      linked.dispose();
    }
  }

  /**
   * The current leader (the first-created candidate key), read linearizably, or `undefined`
   * when there is no candidate.
   * @throws {EtcdPatternsError} `ABORTED`; etcd errors after the client's read retries.
   */
  async leader(options: LeaderOptions = {}): Promise<LeaderInfo | undefined> {
    throwIfAborted(options.signal);
    try {
      const res = await raceSignal(this.session.client.kv.txn({ success: [firstCreatedOp(this.keys.prefix)] }), options.signal);
      const kv = res.responses[0]?.response_range.kvs[0];
      return kv && toLeaderInfo(toKeyValue(kv));
    } catch (error) {
      throw toEtcdError(error, 'election leader');
    }
  }

  /**
   * Leader changes as an `AsyncIterable`: first the current state, then an item for every new
   * leader, every proclamation on the leader key, and every time the election is left without
   * any candidate (`leader: undefined`). Items are never repeated; intermediate states that
   * were compacted away may be skipped (the latest state always arrives).
   *
   * **Fault behaviour.** The watch is gap-free and reconnects by itself (see `watchPrefix`).
   * It never goes silent: when etcd stays unreachable for `unavailableTimeoutMs` the iteration
   * throws `ETCD_UNAVAILABLE`; non-retryable errors (`ETCD_PERMISSION_DENIED`) are thrown at
   * once. Aborting `signal` or leaving the loop ends it. Needs no campaign (and does not depend
   * on the session staying alive).
   */
  observe(options: ObserveOptions = {}): AsyncIterable<LeaderChange> {
    const client = this.session.client;
    const prefix = this.keys.prefix;
    const settings = {
      signal: options.signal,
      probeIntervalMs: options.probeIntervalMs ?? 5000,
      unavailableTimeoutMs: options.unavailableTimeoutMs ?? 30_000,
    };
    return { [Symbol.asyncIterator]: () => observeLeader(client, prefix, settings)[Symbol.asyncIterator]() };
  }

  private expired(cause: unknown, why = 'the session was lost'): LockError {
    return new LockError('ELECTION_SESSION_EXPIRED', `election ${JSON.stringify(this.keys.name)} not won: ${why}`, { cause });
  }
}
