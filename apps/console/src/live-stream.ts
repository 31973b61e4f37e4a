import type { LiveEvent } from '@etcd-patterns/console-contract';
import { abortableSleep, watchPrefix, type Etcd3 } from '@etcd-patterns/etcd';
import { consoleEtcdError } from './api-error';

/** The parts of a Node/express response a stream writes to. */
export interface StreamResponse {
  writeHead(status: number, headers: Record<string, string>): unknown;
  flushHeaders?(): void;
  write(chunk: string): boolean;
  end(): unknown;
  readonly writableEnded: boolean;
}

/** A view to stream: how to read it, and (for watched views) which prefixes change it. */
export interface StreamSource<T> {
  /** Reads the view now; `revision` is the etcd revision it reflects. */
  readonly read: () => Promise<{ revision: number; data: T }>;
  /** Watched prefixes (`''`: the whole keyspace); changes there trigger a fresh read. */
  readonly prefixes?: readonly string[];
  /** Changes that matter (default: all under the prefixes). */
  readonly relevant?: (key: string) => boolean;
  /** Without prefixes: re-read and re-send a snapshot this often, in ms. */
  readonly intervalMs?: number;
}

/** Options of {@link runLiveStream}. */
export interface LiveStreamOptions {
  readonly client: Etcd3;
  readonly response: StreamResponse;
  /** Ends the stream (client gone, session ended, shutdown). */
  readonly signal: AbortSignal;
  /** Comment lines keep proxies and browsers from timing the stream out, in ms (default 15000). */
  readonly heartbeatMs?: number;
  /** Changes arriving within this window are sent as one event, in ms (default 50). */
  readonly coalesceMs?: number;
}

type Change = Extract<LiveEvent<unknown>, { type: 'changes' }>['changes'][number];

/**
 * Serves one Server-Sent Events stream: a `snapshot` event first, then for watched views a
 * `changes` event per batch of changes (changes within `coalesceMs` are batched; each event
 * carries the changed keys and a fresh read of the view), or for polled views a new `snapshot`
 * every `intervalMs`. A comment line every `heartbeatMs`. An etcd error (permission denied, ...)
 * is sent as an `error` event and ends the stream. Resolves when the stream has ended; the
 * watches are closed by then (they share `signal` with the stream).
 */
export async function runLiveStream<T>(source: StreamSource<T>, options: LiveStreamOptions): Promise<void> {
  const { response, client } = options;
  const local = new AbortController();
  const signal = AbortSignal.any([options.signal, local.signal]);
  const send = (event: LiveEvent<T>): void => {
    if (!response.writableEnded) response.write(`data: ${JSON.stringify(event)}\n\n`);
  };
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
  const fail = (error: unknown): void => {
    if (signal.aborted) return;
    const e = consoleEtcdError(error);
    send({ type: 'error', code: e.code, message: e.message });
    local.abort();
  };
  try {
    const first = await source.read();
    send({ type: 'snapshot', revision: first.revision, data: first.data });
    if (!source.prefixes || source.prefixes.length === 0) {
      for (;;) {
        await abortableSleep(source.intervalMs ?? 2000, signal);
        const next = await source.read();
        send({ type: 'snapshot', revision: next.revision, data: next.data });
      }
    }
    await watchAll(source, client, first.revision, signal, options.coalesceMs ?? 50, send, fail);
  } catch (error) {
    fail(error);
  } finally {
    clearInterval(heartbeat);
    local.abort();
    if (!response.writableEnded) response.end();
  }
}

async function watchAll<T>(
  source: StreamSource<T>,
  client: Etcd3,
  fromRevision: number,
  signal: AbortSignal,
  coalesceMs: number,
  send: (event: LiveEvent<T>) => void,
  fail: (error: unknown) => void,
): Promise<void> {
  let pending: Change[] = [];
  let timer: NodeJS.Timeout | undefined;
  let reading = false;
  const flush = async (): Promise<void> => {
    timer = undefined;
    if (reading || pending.length === 0 || signal.aborted) return;
    reading = true;
    const changes = pending;
    pending = [];
    try {
      const view = await source.read();
      const revision = Math.max(view.revision, ...changes.map((c) => c.modRevision));
      send({ type: 'changes', revision, changes, data: view.data });
    } catch (error) {
      fail(error);
    } finally {
      reading = false;
      if (pending.length > 0 && !signal.aborted) timer = setTimeout(() => void flush(), coalesceMs);
    }
  };
  const watchOne = async (prefix: string): Promise<void> => {
    for await (const message of watchPrefix(client, prefix, { startRevision: fromRevision + 1, signal })) {
      if (message.kind === 'snapshot') continue;
      for (const event of message.events) {
        if (source.relevant && !source.relevant(event.kv.key)) continue;
        pending.push({ kind: event.type, key: event.kv.key, modRevision: event.kv.modRevision });
      }
      if (pending.length > 0 && timer === undefined && !reading) timer = setTimeout(() => void flush(), coalesceMs);
    }
  };
  try {
    await Promise.all(source.prefixes!.map((p) => watchOne(p).catch(fail)));
  } finally {
    clearTimeout(timer);
  }
}
