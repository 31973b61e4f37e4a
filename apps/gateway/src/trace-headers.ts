import { formatTraceparent, serverSpanContext } from '@etcd-patterns/telemetry';

/** Response header with the W3C trace context of the request's server span. */
export const TRACEPARENT_HEADER = 'traceparent';
/** Response header with the 32-hex trace id alone (easy to copy into a trace viewer). */
export const TRACE_ID_HEADER = 'x-trace-id';

/** The part of express's response used here (no @types/express needed). */
interface HeaderTarget {
  setHeader(name: string, value: string): unknown;
}

/**
 * Express middleware that returns the trace context of every request in its response, errors
 * included: `traceparent` (`00-<trace id>-<server span id>-<flags>`) and `x-trace-id`. Registered
 * first (before the body parser), the headers are set before anything can fail, so 4xx and 5xx
 * answers carry them too.
 *
 * When tracing is off (`OTEL_SDK_DISABLED=true`, or the telemetry bootstrap not loaded) there is
 * no server span and no header is set. With tracing on but no OTLP endpoint the headers are set
 * (spans are recorded, just not exported); a caller's unsampled `traceparent` gives flags `00`.
 */
export function traceHeaders(_req: unknown, res: HeaderTarget, next: () => void): void {
  const span = serverSpanContext();
  if (span) {
    res.setHeader(TRACEPARENT_HEADER, formatTraceparent(span));
    res.setHeader(TRACE_ID_HEADER, span.traceId);
  }
  next();
}
