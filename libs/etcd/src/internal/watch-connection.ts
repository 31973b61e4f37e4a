import type { Etcd3, IEvent, IWatchCreateRequest, IWatchResponse } from 'etcd3';
import type { EtcdPatternsError } from '../errors';
import { ResponseQueue } from './response-queue';
import { WatchStream, type WatchTarget } from './watch-stream';

/** Settings of one watch. */
export interface WatchConnectionOptions {
  /** Events buffered before the watch is paused (backpressure). */
  readonly bufferEvents: number;
  /** Silence after which the member is asked for progress, and again after which it is dropped. */
  readonly livenessMs: number;
  /** Called with the number of events of each response queued. */
  readonly onReceived?: (events: number) => void;
}

/**
 * One watch on the client's shared {@link WatchStream}, its responses queued for a single
 * reader.
 *
 * Backpressure is per watch, since the stream is shared: when `bufferEvents` events are queued
 * the watch is cancelled on the stream (what etcd sends after that for it is dropped, cutting
 * a response at a revision boundary), and once the reader has handed on half of them
 * ({@link WatchConnection.consumed}) it is created again from the revision after the last one
 * queued. etcd keeps the history in between and the watch catches up from its store, as
 * after a reconnect; the other watches on the stream are never stalled. At most
 * `bufferEvents` events plus the rest of one revision (a large transaction is never split)
 * are held. A watch that stays paused past a compaction is answered, when resumed, with a
 * compaction cancel, as after a long disconnection.
 */
export class WatchConnection implements WatchTarget {
  private readonly queue: ResponseQueue<IWatchResponse>;
  private stream: WatchStream | undefined;
  private paused = false;
  private closed = false;
  /** Events delivered to the queue and not yet handed on by the reader ({@link consumed}). */
  private buffered = 0;
  /** Where the watch resumes after a pause: the revision after the last event queued. */
  private resumeRevision: number;

  private constructor(
    private readonly create: IWatchCreateRequest,
    private readonly options: WatchConnectionOptions,
  ) {
    this.resumeRevision = Number(create.start_revision ?? 0);
    this.queue = new ResponseQueue();
  }

  /** Creates the watch on the client's shared stream (opening one on some member if needed). */
  static async open(client: Etcd3, create: IWatchCreateRequest, options: WatchConnectionOptions): Promise<WatchConnection> {
    const connection = new WatchConnection(create, options);
    connection.stream = await WatchStream.watch(client, options.livenessMs, connection, create);
    return connection;
  }

  /** The next response if one is queued, else `undefined` (then call {@link next}). */
  take(signal: AbortSignal): IWatchResponse | undefined {
    return this.queue.take(signal);
  }

  /** The next response; throws when the stream fails. */
  next(signal: AbortSignal): Promise<IWatchResponse | undefined> {
    return this.queue.next(signal);
  }

  /**
   * The reader handed `events` events of the responses it took on: they no longer count
   * against `bufferEvents`. A paused watch resumes once half of the mark is free.
   */
  consumed(events: number): void {
    this.buffered -= events;
    if (this.paused && this.buffered <= this.options.bufferEvents / 2) this.resume();
  }

  /** Cancels the watch. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.end();
    this.stream?.leave(this);
  }

  /** @internal Called by the stream. */
  deliver(res: IWatchResponse): void {
    if (this.closed || (this.paused && !res.canceled)) return;
    let events: IEvent[] = res.events ?? [];
    if (events.length > 0) {
      const room = this.options.bufferEvents - this.buffered;
      if (events.length >= room) {
        // At the mark: keep whole revisions up to it (at least one), drop the rest, pause.
        const cut = revisionEnd(events, Math.max(0, room - 1));
        if (cut < events.length) {
          events = events.slice(0, cut);
          res = { ...res, events };
        }
        this.pause(Number(events[events.length - 1]!.kv.mod_revision) + 1);
      } else {
        this.resumeRevision = Number(events[events.length - 1]!.kv.mod_revision) + 1;
      }
    }
    this.buffered += events.length;
    this.options.onReceived?.(events.length);
    this.queue.push(res);
  }

  /** @internal Called by the stream. */
  fail(error: EtcdPatternsError): void {
    this.queue.fail(error);
  }

  private pause(resumeRevision: number): void {
    this.resumeRevision = resumeRevision;
    this.paused = true;
    this.stream?.stop(this);
  }

  private resume(): void {
    if (this.closed) return;
    this.paused = false;
    this.stream?.create(this, { ...this.create, start_revision: this.resumeRevision });
  }
}

/** The index after the last event of the revision of `events[index]`. */
function revisionEnd(events: readonly IEvent[], index: number): number {
  const revision = events[index]!.kv.mod_revision;
  let end = index + 1;
  while (end < events.length && events[end]!.kv.mod_revision === revision) end++;
  return end;
}
