// One multiplexed live connection (`GET /api/events?streams=[...]`) for any number of
// subscribers. Runs in the live SharedWorker (one per browser, for all its tabs) or, where
// SharedWorker is missing, in the tab itself (one per tab).
//
// A browser allows 6 HTTP/1.1 connections per host for all its tabs together; one EventSource
// per live view per tab used them up, and the 7th tab never loaded. Here every view of every tab
// shares one connection. The mux keeps each stream's current data (snapshot + deltas applied), so
// a new subscriber of a stream already open gets its snapshot at once; a stream id the connection
// does not carry yet reopens it with the new set (the server resends each snapshot from memory).
import type { LiveDelta, LiveEnvelope, LiveEvent, LiveStream } from '@etcd-patterns/console-contract';
import { applyLiveDelta, collectionsOf, isLiveDelta, mergeLiveDeltas } from './live-delta';

/** Connection state shown next to live views. */
export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'closed' | 'off';

/** What a subscriber receives. */
export interface LiveSink {
  event(event: LiveEvent<unknown>): void;
  status(status: LiveStatus): void;
}

/** The name of the stream a stream id shows (`keys:/app/` → `keys`). */
export function streamOfId(id: string): LiveStream {
  return (id.startsWith('keys:') ? 'keys' : id) as LiveStream;
}

function isLiveEvent(value: unknown): value is LiveEvent<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const event = value as { type?: unknown; revision?: unknown; changes?: unknown; delta?: unknown };
  if (event.type === 'error') return true;
  if (typeof event.revision !== 'number') return false;
  if (event.type === 'snapshot') return true;
  return event.type === 'changes' && Array.isArray(event.changes) && (event.delta === undefined || isLiveDelta(event.delta));
}

/** Wait this long after a change of the subscription set before reopening (a page switch unsubscribes and subscribes). */
const REOPEN_DELAY_MS = 10;
/** A connection the server refused (session gone) is tried again this often while someone listens. */
const CLOSED_RETRY_MS = 5000;

interface StreamState {
  readonly sinks: Set<LiveSink>;
  /** The stream's data as of its last snapshot (undefined before it, or when a delta did not apply). */
  current?: { revision: number; data: unknown };
  /** Deltas since `current`, applied only when a new subscriber needs the data (most never do). */
  pending: Array<{ delta: LiveDelta; revision: number }>;
  /** Its last event was an `error` (the server dropped it from the connection). */
  failed?: LiveEvent<unknown>;
}

/** Options of {@link LiveMux}. */
export interface LiveMuxOptions {
  /** Absolute URL of `/api/events`. */
  readonly eventsUrl: string;
}

/** See the file comment. */
export class LiveMux {
  private readonly streams = new Map<string, StreamState>();
  private source: EventSource | undefined;
  private carried = new Set<string>();
  private status: LiveStatus = 'connecting';
  private reopenTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: LiveMuxOptions) {}

  /** Adds a subscriber of stream `id`; returns its removal. Nothing is called synchronously. */
  subscribe(id: string, sink: LiveSink): () => void {
    let state = this.streams.get(id);
    if (!state) this.streams.set(id, (state = { sinks: new Set(), pending: [] }));
    state.sinks.add(sink);
    const greeted = state;
    queueMicrotask(() => {
      if (!greeted.sinks.has(sink)) return;
      sink.status(this.status);
      const current = this.currentOf(id, greeted);
      if (current) sink.event({ type: 'snapshot', revision: current.revision, data: current.data });
    });
    if (!this.carried.has(id) || state.failed || this.status === 'closed') this.scheduleReopen();
    return () => {
      if (!greeted.sinks.delete(sink)) return;
      if (greeted.sinks.size === 0 && this.streams.get(id) === greeted) {
        this.streams.delete(id);
        this.scheduleReopen();
      }
    };
  }

  private scheduleReopen(delayMs = REOPEN_DELAY_MS): void {
    if (this.reopenTimer !== undefined) clearTimeout(this.reopenTimer);
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      this.reopen();
    }, delayMs);
  }

  private setStatus(status: LiveStatus): void {
    this.status = status;
    for (const state of this.streams.values()) for (const sink of state.sinks) sink.status(status);
  }

  private reopen(): void {
    const ids = [...this.streams.keys()].sort();
    const same = ids.length === this.carried.size && ids.every((id) => this.carried.has(id));
    const healthy = this.source && this.source.readyState !== EventSource.CLOSED && ids.every((id) => !this.streams.get(id)?.failed);
    if (same && healthy) return;
    this.source?.close();
    this.source = undefined;
    this.carried = new Set(ids);
    if (ids.length === 0) return;
    for (const id of ids) {
      const state = this.streams.get(id)!;
      state.failed = undefined;
    }
    const url = new URL(this.options.eventsUrl);
    url.searchParams.set('streams', JSON.stringify(ids));
    const source = new EventSource(url.href);
    this.source = source;
    this.setStatus('connecting');
    source.addEventListener('open', () => {
      if (this.source === source) this.setStatus('live');
    });
    source.addEventListener('error', () => {
      if (this.source !== source) return;
      const closed = source.readyState === EventSource.CLOSED;
      this.setStatus(closed ? 'closed' : 'reconnecting');
      if (closed) this.scheduleReopen(CLOSED_RETRY_MS);
    });
    source.addEventListener('message', (message: MessageEvent<string>) => {
      if (this.source === source) this.receive(message.data);
    });
  }

  private receive(text: string): void {
    let envelope: LiveEnvelope;
    try {
      envelope = JSON.parse(text) as LiveEnvelope;
    } catch {
      return;
    }
    const state = typeof envelope?.stream === 'string' ? this.streams.get(envelope.stream) : undefined;
    const event = envelope?.event;
    if (!state || !isLiveEvent(event)) return;
    if (event.type === 'error') state.failed = event;
    else if (event.type === 'snapshot') {
      state.current = { revision: event.revision, data: event.data };
      state.pending = [];
    } else if (state.current) {
      if (event.delta) state.pending.push({ delta: event.delta, revision: event.revision });
      else state.current = undefined;
      // Keep the backlog short where nobody new comes along.
      if (state.pending.length >= 256) this.currentOf(envelope.stream, state);
    }
    for (const sink of state.sinks) sink.event(event);
  }

  /** The stream's data now: the last snapshot with the deltas since applied. */
  private currentOf(id: string, state: StreamState): { revision: number; data: unknown } | undefined {
    if (!state.current || state.pending.length === 0) return state.current;
    const spec = collectionsOf(streamOfId(id));
    const pending = state.pending;
    state.pending = [];
    const next = spec ? applyLiveDelta(state.current.data, mergeLiveDeltas(pending.map((p) => p.delta), spec), pending.at(-1)!.revision, spec) : undefined;
    state.current = next === undefined ? undefined : { revision: pending.at(-1)!.revision, data: next };
    return state.current;
  }
}
