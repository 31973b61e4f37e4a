import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { RPCType, setRPCMetadata } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { formatTraceparent, serverSpanContext } from './server-span';

describe('serverSpanContext', () => {
  const tracer = new BasicTracerProvider().getTracer('test');

  it('is the HTTP server span even when a middleware span is active', () => {
    const server = tracer.startSpan('GET /hello');
    const withServer = setRPCMetadata(trace.setSpan(ROOT_CONTEXT, server), { type: RPCType.HTTP, span: server });
    const middleware = tracer.startSpan('middleware - query', {}, withServer);
    const ctx = trace.setSpan(withServer, middleware);
    expect(serverSpanContext(ctx)).toEqual(server.spanContext());
  });

  it('falls back to the active span, and is undefined without one', () => {
    const span = tracer.startSpan('job.run');
    expect(serverSpanContext(trace.setSpan(ROOT_CONTEXT, span))).toEqual(span.spanContext());
    expect(serverSpanContext(ROOT_CONTEXT)).toBeUndefined();
    expect(serverSpanContext(trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 })))).toBeUndefined();
  });
});

describe('formatTraceparent', () => {
  it('writes the W3C format with the sampled flag', () => {
    const ids = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
    expect(formatTraceparent({ ...ids, traceFlags: TraceFlags.SAMPLED })).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    expect(formatTraceparent({ ...ids, traceFlags: TraceFlags.NONE })).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00');
  });
});
