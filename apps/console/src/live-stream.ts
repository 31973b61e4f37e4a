import type { LiveEvent } from '@etcd-patterns/console-contract';
import type { LiveListener, SharedLiveView } from './live-view';

/** The parts of a Node/express response a stream writes to. */
export interface StreamResponse {
  writeHead(status: number, headers: Record<string, string>): unknown;
  flushHeaders?(): void;
  write(chunk: string): boolean;
  end(): unknown;
  readonly writableEnded: boolean;
}

/** One view a stream carries; `id` names it in a multiplexed stream. */
export interface StreamSubscription {
  readonly id: string;
  readonly view: SharedLiveView;
}

/** Options of {@link runLiveStream}. */
export interface LiveStreamOptions {
  readonly response: StreamResponse;
  /** Ends the stream (client gone, session ended, shutdown). */
  readonly signal: AbortSignal;
  /**
   * Wrap each event as `{ stream, event }` (a multiplexed stream, where an `error` ends only its
   * own view) instead of sending it as it is (one view; its `error` ends the stream).
   */
  readonly multiplexed?: boolean;
  /** Comment lines keep proxies and browsers from timing the stream out, in ms (default 15000). */
  readonly heartbeatMs?: number;
}

/**
 * Serves one Server-Sent Events stream of one or more shared live views: each view's snapshot
 * first, then its `changes` events (deltas), as the view publishes them (each event serialized
 * once by the view, whatever the number of streams). A comment line every `heartbeatMs`. An
 * `error` from a view (permission denied, ...) is passed on and ends that view's part; the
 * stream ends when none is left, or on `signal`. Resolves when the stream has ended and every
 * subscription is released (a view whose last subscriber left stops its watch).
 */
export async function runLiveStream(subscriptions: readonly StreamSubscription[], options: LiveStreamOptions): Promise<void> {
  const { response, signal } = options;
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-store, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  response.write('retry: 2000\n\n');
  response.flushHeaders?.();
  const heartbeat = setInterval(() => {
    if (!response.writableEnded) response.write(': heartbeat\n\n');
  }, options.heartbeatMs ?? 15_000);
  heartbeat.unref();
  const unsubscribes = new Map<string, () => void>();
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const release = (id: string): void => {
    unsubscribes.get(id)?.();
    unsubscribes.delete(id);
    if (unsubscribes.size === 0) done();
  };
  if (signal.aborted) done();
  else signal.addEventListener('abort', done, { once: true });
  for (const { id, view } of subscriptions) {
    if (signal.aborted) break;
    const listener: LiveListener = (event: LiveEvent<unknown>, json: string) => {
      if (response.writableEnded) return;
      response.write(options.multiplexed ? `data: {"stream":${JSON.stringify(id)},"event":${json}}\n\n` : `data: ${json}\n\n`);
      if (event.type === 'error') queueMicrotask(() => release(id));
    };
    try {
      unsubscribes.set(id, view.subscribe(listener));
    } catch {
      // stopped meanwhile (shutdown): nothing to carry
    }
  }
  if (unsubscribes.size === 0) done();
  try {
    await finished;
  } finally {
    signal.removeEventListener('abort', done);
    clearInterval(heartbeat);
    for (const unsubscribe of unsubscribes.values()) unsubscribe();
    unsubscribes.clear();
    if (!response.writableEnded) response.end();
  }
}
