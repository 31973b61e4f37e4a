import { context, isSpanContextValid, trace, TraceFlags, type Context, type SpanContext } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';

/**
 * The span context of the server span of the incoming HTTP request that `ctx` (default: the
 * active context) belongs to, or `undefined` when tracing is off or nothing is traced here.
 *
 * The HTTP instrumentation stores its server span in the context (as RPC metadata); the
 * Express and Nest instrumentations make their own middleware and handler spans active, so
 * `trace.getActiveSpan()` inside a handler is one of those, not the server span. Outside an
 * instrumented HTTP request, the active span is returned instead.
 */
export function serverSpanContext(ctx: Context = context.active()): SpanContext | undefined {
  const rpc = getRPCMetadata(ctx);
  const span = rpc?.type === RPCType.HTTP && rpc.span ? rpc.span : trace.getSpan(ctx);
  const spanContext = span?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? spanContext : undefined;
}

/**
 * `spanContext` as a W3C `traceparent` value: `00-<trace id>-<span id>-<flags>` (flags `01`
 * when sampled, `00` when not).
 */
export function formatTraceparent(spanContext: SpanContext): string {
  const sampled = (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
  return `00-${spanContext.traceId}-${spanContext.spanId}-${sampled ? '01' : '00'}`;
}
