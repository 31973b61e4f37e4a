import type { Logger } from 'pino';
import { serverSpanContext } from './server-span';

/** The parts of express's (or Node's) request that {@link requestLog} reads. */
export interface LoggedRequest {
  readonly method?: string;
  readonly originalUrl?: string;
  readonly url?: string;
  readonly socket?: { readonly remoteAddress?: string };
}

/** The parts of the response that {@link requestLog} reads. */
export interface LoggedResponse {
  readonly statusCode: number;
  readonly writableFinished: boolean;
  once(event: 'close', listener: () => void): unknown;
}

/** Options of {@link requestLog}. */
export interface RequestLogOptions {
  /** Paths not logged (default `/healthz`, `/readyz`: probes would drown the log). */
  readonly ignorePaths?: readonly string[];
  /** Add the client's address as `remote` (default false). */
  readonly remoteAddress?: boolean;
}

/**
 * Express middleware writing one `request` log line per answered request: `method`, `path`
 * (without the query string, which may carry names), `statusCode`, `durationMs`, and the
 * `trace_id`/`span_id` of the request's server span when it is traced, so a response's
 * `x-trace-id` can be found in the log. `aborted: true` when the client went away first.
 * Never a header, a cookie or a body: sign-in bodies carry passwords.
 */
export function requestLog(log: Logger, options: RequestLogOptions = {}): (req: LoggedRequest, res: LoggedResponse, next: () => void) => void {
  const ignored = new Set(options.ignorePaths ?? ['/healthz', '/readyz']);
  return function logRequest(req, res, next) {
    const path = (req.originalUrl ?? req.url ?? '').split('?')[0] ?? '';
    if (!ignored.has(path)) {
      const started = process.hrtime.bigint();
      const span = serverSpanContext();
      res.once('close', () => {
        const durationMs = Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100;
        log.info(
          {
            method: req.method,
            path,
            statusCode: res.statusCode,
            durationMs,
            ...(options.remoteAddress ? { remote: req.socket?.remoteAddress } : {}),
            ...(res.writableFinished ? {} : { aborted: true }),
            ...(span ? { trace_id: span.traceId, span_id: span.spanId } : {}),
          },
          'request',
        );
      });
    }
    next();
  };
}
