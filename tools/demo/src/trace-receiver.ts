import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeOtlpTraces, TraceStore, type ReceivedSpan, type TraceStoreOptions } from '@etcd-patterns/telemetry';
import { renderTracePage } from './trace-page';

/** Options of {@link TraceReceiver.start}. */
export interface TraceReceiverOptions extends TraceStoreOptions {
  /** Interface to bind (default `127.0.0.1`: the receiver has no authentication). */
  readonly host?: string;
  /** Port; 0 (default) lets the OS pick one. */
  readonly port?: number;
  /** Largest export body accepted, compressed or not, in bytes (default 16 MiB; 413 beyond). */
  readonly maxBodyBytes?: number;
  /**
   * Called with the spans of every accepted export, after they were stored (the e2e tests keep
   * them all). Errors it throws are ignored.
   */
  readonly onSpans?: (spans: readonly ReceivedSpan[]) => void;
}

const TRACE_ID = /^[0-9a-fA-F]{32}$/;

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers }).end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body), headers);
}

function sendError(res: ServerResponse, status: number, error: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { statusCode: status, error, message }, headers);
}

/**
 * A small trace viewer for the local demo, on one port:
 *
 * - `POST /v1/traces`: an OTLP/HTTP receiver, JSON encoding only (`OTEL_EXPORTER_OTLP_PROTOCOL=http/json`;
 *   protobuf gets 415), gzip accepted. Spans go to a bounded {@link TraceStore}.
 * - `GET /traces`: JSON list of the kept traces, newest first ({@link TraceSummary} each).
 * - `GET /traces/:traceId`: the trace's waterfall as an HTML page; with `Accept: application/json`
 *   the trace with its spans as JSON ({@link TraceView}). Unknown id: 404 JSON.
 *
 * Every other path is a 404 JSON, other methods a 405. Binds loopback by default.
 */
export class TraceReceiver {
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    /** The traces received so far. */
    readonly store: TraceStore,
    private readonly host: string,
    /** The port bound (kept after {@link close}). */
    readonly port: number,
    /** Where accepted exports are passed on, see {@link forwardTo}. */
    private readonly forward: { url?: string },
  ) {}

  /**
   * Starts listening. @throws {Error} when the port cannot be bound (`code` `EADDRINUSE`, ...).
   */
  static async start(options: TraceReceiverOptions = {}): Promise<TraceReceiver> {
    const store = new TraceStore(options);
    const host = options.host ?? '127.0.0.1';
    const forward: { url?: string } = {};
    const server = createServer((req, res) => handle(req, res, store, options, forward));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', () => undefined); // after start: never crash the demo over the viewer
    return new TraceReceiver(server, store, host, (server.address() as AddressInfo).port, forward);
  }

  /**
   * Passes every accepted export on, as received (gunzipped), to another OTLP/HTTP JSON receiver
   * at `url` (the console's `/v1/traces`), without waiting and ignoring its failures;
   * `undefined` stops.
   */
  forwardTo(url: string | undefined): void {
    this.forward.url = url;
  }

  /** `http://HOST:PORT`, for `OTEL_EXPORTER_OTLP_ENDPOINT` (exporters append `/v1/traces`). */
  get endpoint(): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /** `http://HOST:PORT/traces`: where to look. */
  get tracesUrl(): string {
    return `${this.endpoint}/traces`;
  }

  /** Stops listening and drops open connections. Idempotent; never throws. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function handle(req: IncomingMessage, res: ServerResponse, store: TraceStore, options: TraceReceiverOptions, forward: { url?: string }): void {
  let path: string;
  try {
    path = new URL(req.url ?? '/', 'http://receiver').pathname;
  } catch {
    return sendError(res, 400, 'BAD_REQUEST', 'malformed request target');
  }
  if (path === '/v1/traces') {
    if (req.method !== 'POST') return sendError(res, 405, 'METHOD_NOT_ALLOWED', 'POST OTLP/HTTP JSON here', { allow: 'POST' });
    return receive(req, res, store, options, forward);
  }
  const read = path === '/' || path === '/traces' || path === '/traces/' || path.startsWith('/traces/');
  if (!read) return sendError(res, 404, 'NOT_FOUND', `nothing at ${path}: see /traces`);
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'METHOD_NOT_ALLOWED', 'only GET here', { allow: 'GET, HEAD' });
  if (path === '/') return send(res, 302, 'text/plain; charset=utf-8', 'see /traces', { location: '/traces' });
  if (path === '/traces' || path === '/traces/') return sendJson(res, 200, store.list());
  const id = path.slice('/traces/'.length);
  const trace = TRACE_ID.test(id) ? store.get(id) : undefined;
  if (!trace) return sendError(res, 404, 'NOT_FOUND', `no trace ${id} here (unknown, not received yet, or dropped: the newest traces are kept)`);
  if ((req.headers.accept ?? '').includes('application/json')) return sendJson(res, 200, trace);
  send(res, 200, 'text/html; charset=utf-8', renderTracePage(trace), { 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" });
}

function receive(req: IncomingMessage, res: ServerResponse, store: TraceStore, options: TraceReceiverOptions, forward: { url?: string }): void {
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= maxBodyBytes) chunks.push(chunk);
  });
  req.on('error', () => res.destroy());
  req.on('end', () => {
    if (size > maxBodyBytes) return sendError(res, 413, 'PAYLOAD_TOO_LARGE', `export larger than ${maxBodyBytes} bytes`);
    if ((req.headers['content-type'] ?? '').includes('protobuf')) {
      return sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'this receiver takes OTLP/HTTP JSON only: set OTEL_EXPORTER_OTLP_PROTOCOL=http/json');
    }
    let spans: ReceivedSpan[];
    let body = Buffer.concat(chunks);
    try {
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body, { maxOutputLength: maxBodyBytes });
      spans = decodeOtlpTraces(JSON.parse(body.toString('utf8')));
    } catch (error) {
      return sendError(res, 400, 'BAD_REQUEST', `not an OTLP/HTTP JSON trace export: ${error instanceof Error ? error.message : String(error)}`);
    }
    store.add(spans);
    if (forward.url) {
      fetch(forward.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(5000) }).catch(() => undefined);
    }
    try {
      options.onSpans?.(spans);
    } catch {
      // a listener's failure is not the exporter's problem
    }
    sendJson(res, 200, {});
  });
}
