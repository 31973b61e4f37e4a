import { serverSpanContext } from '@etcd-patterns/telemetry';
import type { Logger } from 'pino';

/** The parts of express's request and response used here. */
interface LoggedRequest {
  readonly method?: string;
  readonly originalUrl?: string;
  readonly url?: string;
  readonly socket?: { readonly remoteAddress?: string };
}
interface LoggedResponse {
  readonly statusCode: number;
  readonly writableFinished: boolean;
  once(event: 'close', listener: () => void): unknown;
}

/** Paths not logged: probes and span deliveries would drown the log. */
const IGNORED = new Set(['/healthz', '/v1/traces']);

/**
 * Express middleware writing one `request` line per answered request: method, path (without
 * the query string, which may carry key names), status, duration, client address, and the trace
 * ids of the request's server span. Never a header, a cookie or a body: sign-in bodies carry
 * passwords (the logger also redacts `password` fields, in case one is ever passed to it).
 */
export function requestLog(log: Logger): (req: LoggedRequest, res: LoggedResponse, next: () => void) => void {
  return function logRequest(req, res, next) {
    const path = (req.originalUrl ?? req.url ?? '').split('?')[0] ?? '';
    if (!IGNORED.has(path)) {
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
            remote: req.socket?.remoteAddress,
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
