import type { Etcd3, IEvent } from 'etcd3';
import { abortError, EtcdPatternsError } from './errors';
import { isStaleAuthToken, toEtcdError } from './grpc-errors';
import { abortableSleep, Backoff } from './internal/backoff';
import { rangeKeyValues } from './internal/decoded-range';
import { LinkedAbort } from './internal/linked-signal';
import { readGateOf } from './internal/read-gate';
import { recordWatchReconnect, recordWatchRelist } from './internal/metrics';
import { WatchConnection } from './internal/watch-connection';
import { refreshAuthToken } from './internal/raw-stream';
import { prefixRangeEnd, toKeyValue, type KeyValue, type WatchEvent } from './key-value';

/** Options for {@link watchPrefix}. */
export interface WatchPrefixOptions {
  /**
   * Watch from this revision (inclusive) without a snapshot. Default: read the prefix first,
   * emit it as a `snapshot`, then watch from the snapshot's revision + 1.
   */
  readonly startRevision?: number;
  /** Ends the iteration (without an error) and releases the stream. */
  readonly signal?: AbortSignal;
  /**
   * Events buffered ahead of the consumer before this watch is paused (see {@link watchPrefix},
   * backpressure). Default 1000.
   */
  readonly bufferEvents?: number;
  /**
   * Silence on the stream after which the member is probed, then dropped. Default 5000 ms.
   * Watches of one client share a stream per distinct value.
   */
  readonly livenessMs?: number;
}

/** One item of a {@link watchPrefix} iteration. */
export type PrefixWatchMessage =
  /** The prefix's content at `revision`. First item unless `startRevision` was given. */
  | { readonly kind: 'snapshot'; readonly revision: number; readonly kvs: readonly KeyValue[] }
  /** Every change of one revision (one put, delete or transaction), in order. */
  | { readonly kind: 'events'; readonly revision: number; readonly events: readonly WatchEvent[] }
  /**
   * The resume point was compacted away: the prefix was read again at `revision`. `kvs` is the
   * full content; `events` are the differences from what this iteration had delivered
   * (intermediate changes are lost to compaction and collapse into one put or delete).
   */
  | {
      readonly kind: 'reconcile';
      readonly revision: number;
      readonly compactRevision: number;
      readonly kvs: readonly KeyValue[];
      readonly events: readonly WatchEvent[];
    };

/** Counters of a {@link PrefixWatch}, for metrics. */
export interface PrefixWatchStats {
  /** Streams re-opened after a failure. */
  reconnects: number;
  /** Reconciliations after compaction. */
  compactions: number;
  /** Revision of the last message delivered (0 before the first). */
  revision: number;
  /** Id of the member serving the stream (decimal string), `''` before the first answer. */
  memberId: string;
  /**
   * Events received from etcd and not yet handed to the consumer. A consumer that falls behind
   * keeps this at or under `bufferEvents` (plus the rest of one revision): at that mark the
   * watch is paused and etcd holds the rest.
   */
  bufferedEvents: number;
}

/** A gap-free change stream of one key prefix. See {@link watchPrefix}. */
export interface PrefixWatch extends AsyncIterable<PrefixWatchMessage> {
  /** Live counters. */
  readonly stats: Readonly<PrefixWatchStats>;
}

interface Listing {
  readonly revision: number;
  readonly kvs: KeyValue[];
}

/**
 * Watches every key under `prefix`: an initial snapshot with its revision, then every change
 * in revision order exactly once, grouped by revision so a transaction arrives whole.
 *
 * **Fault behaviour.** A dropped stream (member killed, restarted, cut off from its quorum,
 * or silent for `livenessMs` twice) is re-opened on some member from the last delivered
 * event's revision + 1, so a large catch-up interrupted half-way loses nothing. When that
 * revision has been compacted, the prefix is read again and a `reconcile` message carries the
 * differences. Streams carry `hasleader`, so a member without a leader refuses them.
 * Retryable failures are retried forever with jittered backoff; non-retryable ones (permission
 * denied, bad credentials) end the iteration with an {@link EtcdPatternsError}. Aborting the
 * signal, or leaving a `for await` loop, ends the iteration and closes the stream.
 * Reconnects and compaction re-reads are counted in {@link PrefixWatch.stats} and in the
 * OpenTelemetry counters `etcd_patterns.etcd.watch.reconnects` and
 * `etcd_patterns.etcd.watch.compaction_relists` (no-ops without a MeterProvider).
 *
 * **Streams and backpressure.** The watches of one client (with the same `livenessMs`) share
 * one gRPC Watch stream, as etcd's Go client and etcd3's Watcher do (a stream per watch meant
 * a send loop per watch in etcd and, while the watch kept up, a response per watch per
 * revision, each paid for on both sides; see bench/src/scale/watch.scale.ts). A failure of the
 * shared stream re-opens every watch on it, each from its own revision. The stream is never
 * paused, so a slow consumer cannot stall the other watches: when `bufferEvents` events are
 * queued for one watch, that watch alone is cancelled on the stream (events already on the
 * way for it are dropped at a revision boundary), and once its consumer has taken half of
 * them it is created again from the revision after the last one queued. etcd keeps the
 * history in between and the watch catches up from it; if it was compacted meanwhile, a
 * `reconcile` follows as after a long disconnection. Memory per watch stays bounded by
 * `bufferEvents` (plus the rest of one revision); the price of a consumer that keeps falling
 * behind is that etcd reads what it missed from its store again.
 *
 * A watch that starts after its snapshot waits for the other prefix reads of this client
 * in flight (at most 100 ms): opening watches among those reads (many watches started at
 * once) delayed them. It still starts at the snapshot's revision + 1, so only its first
 * events can come later.
 *
 * Iterating the returned object twice runs two independent watches.
 */
export function watchPrefix(client: Etcd3, prefix: string, options: WatchPrefixOptions = {}): PrefixWatch {
  const stats: PrefixWatchStats = { reconnects: 0, compactions: 0, revision: 0, memberId: '', bufferedEvents: 0 };
  return {
    stats,
    [Symbol.asyncIterator]: () => iterate(client, Buffer.from(prefix), options, stats)[Symbol.asyncIterator](),
  };
}

async function* iterate(
  client: Etcd3,
  prefix: Buffer,
  options: WatchPrefixOptions,
  stats: PrefixWatchStats,
): AsyncGenerator<PrefixWatchMessage> {
  // The watch's own signal (aborted when the iteration ends, releasing what the stream holds) is
  // only needed once a stream is opened: until then the caller's signal does (readiness of many
  // watches started together paid for an AbortController and a link each, before any stream).
  let internal: LinkedAbort | undefined = options.signal ? undefined : new LinkedAbort(undefined);
  let signal = internal?.signal ?? options.signal!;
  const rangeEnd = prefixRangeEnd(prefix);
  const known = new Map<string, number>();
  const backoff = new Backoff({ initialMs: 50, maxMs: 2000 });
  const retry = async (error: unknown): Promise<void> => {
    const e = toEtcdError(error);
    if (signal.aborted) throw abortError(signal);
    if (!e.retryable) throw e;
    stats.reconnects++;
    recordWatchReconnect(e.code);
    await abortableSleep(backoff.next(), signal);
  };
  const gate = readGateOf(client);
  const list = async (): Promise<Listing> => {
    for (;;) {
      try {
        return await gate.read(() => rangeKeyValues(client, { key: prefix, range_end: rangeEnd }));
      } catch (error) {
        await retry(error);
      }
    }
  };

  let next: number;
  try {
    if (options.startRevision === undefined) {
      const snapshot = await list();
      for (const kv of snapshot.kvs) known.set(kv.key, kv.modRevision);
      next = snapshot.revision + 1;
      stats.revision = snapshot.revision;
      yield { kind: 'snapshot', revision: snapshot.revision, kvs: snapshot.kvs };
      // Watches started together (one per service) open theirs once their reads are all in
      // (bounded, see ReadGate): opened among them, they delayed the other reads. Nothing is
      // missed, the watch starts at the snapshot's revision + 1; one closed meanwhile opens none.
      await gate.idle(signal);
      if (signal.aborted) return;
    } else {
      next = options.startRevision;
    }

    internal ??= new LinkedAbort(options.signal);
    signal = internal.signal;
    for (;;) {
      let connection: WatchConnection | undefined;
      try {
        connection = await WatchConnection.open(
          client,
          { key: prefix, range_end: rangeEnd, start_revision: next },
          {
            bufferEvents: options.bufferEvents ?? 1000,
            livenessMs: options.livenessMs ?? 5000,
            onReceived: (events) => (stats.bufferedEvents += events),
          },
        );
        for (;;) {
          // What is queued already is taken without a promise per response (a watcher that
          // fell behind, interleaved with many others, takes a queue of them).
          const res = connection.take(signal) ?? (await connection.next(signal));
          if (res === undefined) throw new EtcdPatternsError('ETCD_UNAVAILABLE', 'watch stream closed');
          if (res.header?.member_id) stats.memberId = String(res.header.member_id);
          if (res.canceled) {
            const compactRevision = Number(res.compact_revision ?? 0);
            if (compactRevision > 0) {
              connection.close();
              const reconciled = reconcile(known, await list(), compactRevision);
              next = reconciled.revision + 1;
              stats.compactions++;
              recordWatchRelist();
              stats.revision = reconciled.revision;
              yield reconciled;
              break;
            }
            // A watch created with a token this member no longer knows (it expired after
            // --auth-token-ttl without use here, or the member restarted): authenticate again.
            if (isStaleAuthToken(res.cancel_reason)) {
              refreshAuthToken(client);
              throw new EtcdPatternsError('ETCD_AUTH_FAILED', `watch refused, the auth token expired: ${res.cancel_reason}`, { retryable: true });
            }
            // Cancelled for another reason (no leader, permission): a plain read tells which.
            await client.kv.range({ key: prefix, range_end: rangeEnd, count_only: true });
            throw new EtcdPatternsError('ETCD_UNAVAILABLE', `watch cancelled by etcd: ${res.cancel_reason || 'no reason'}`);
          }
          if (res.created) backoff.reset();
          const raw = res.events ?? [];
          // One revision at a time: converting a whole response up front (etcd batches hundreds
          // of events for a watch that fell behind) keeps it all alive while the consumer,
          // interleaved with the other watches, takes one revision per turn.
          for (let from = 0; from < raw.length; ) {
            const group = revisionAt(raw, from);
            from += group.events.length;
            for (const event of group.events) {
              if (event.type === 'put') known.set(event.kv.key, event.kv.modRevision);
              else known.delete(event.kv.key);
            }
            next = group.revision + 1;
            stats.revision = group.revision;
            stats.bufferedEvents -= group.events.length;
            connection.consumed(group.events.length);
            backoff.reset();
            yield group;
          }
        }
      } catch (error) {
        connection?.close();
        stats.bufferedEvents = 0; // what the dropped stream had queued is read again from `next`
        await retry(error);
      } finally {
        connection?.close();
        stats.bufferedEvents = 0;
      }
    }
  } catch (error) {
    if (signal.aborted) return;
    throw error;
  } finally {
    internal?.abort();
    internal?.[Symbol.dispose]();
  }
}

/** The events of the revision of `events[from]`, from `from` on (etcd sends them in revision order). */
function revisionAt(events: readonly IEvent[], from: number): Extract<PrefixWatchMessage, { kind: 'events' }> {
  const revision = Number(events[from]!.kv.mod_revision);
  const group: WatchEvent[] = [];
  for (let i = from; i < events.length && Number(events[i]!.kv.mod_revision) === revision; i++) {
    const raw = events[i]!;
    group.push({ type: raw.type === 'Delete' || String(raw.type) === 'DELETE' ? 'delete' : 'put', kv: toKeyValue(raw.kv) });
  }
  return { kind: 'events', revision, events: group };
}

function reconcile(
  known: Map<string, number>,
  listing: Listing,
  compactRevision: number,
): Extract<PrefixWatchMessage, { kind: 'reconcile' }> {
  const events: WatchEvent[] = [];
  const present = new Set<string>();
  for (const kv of listing.kvs) {
    present.add(kv.key);
    if (known.get(kv.key) !== kv.modRevision) events.push({ type: 'put', kv });
  }
  for (const key of known.keys()) {
    if (!present.has(key)) {
      events.push({
        type: 'delete',
        kv: { key, value: Buffer.alloc(0), createRevision: 0, modRevision: listing.revision, version: 0, lease: '0' },
      });
    }
  }
  known.clear();
  for (const kv of listing.kvs) known.set(kv.key, kv.modRevision);
  return { kind: 'reconcile', revision: listing.revision, compactRevision, kvs: listing.kvs, events };
}
