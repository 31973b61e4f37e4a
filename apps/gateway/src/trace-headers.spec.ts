import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { RPCType, setRPCMetadata } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { traceHeaders } from './trace-headers';

describe('traceHeaders', () => {
  const manager = new AsyncLocalStorageContextManager();
  const tracer = new BasicTracerProvider().getTracer('test');
  beforeAll(() => context.setGlobalContextManager(manager.enable()));
  afterAll(() => {
    manager.disable();
    context.disable();
  });

  const run = (ctx = ROOT_CONTEXT): { headers: Record<string, string>; nextCalled: boolean } => {
    const headers: Record<string, string> = {};
    let nextCalled = false;
    context.with(ctx, () => traceHeaders({}, { setHeader: (name, value) => (headers[name] = value) }, () => (nextCalled = true)));
    return { headers, nextCalled };
  };

  it('sets traceparent of the server span and x-trace-id, whatever span is active', () => {
    const server = tracer.startSpan('GET');
    const withServer = setRPCMetadata(trace.setSpan(ROOT_CONTEXT, server), { type: RPCType.HTTP, span: server });
    const { headers, nextCalled } = run(trace.setSpan(withServer, tracer.startSpan('middleware - traceHeaders', {}, withServer)));
    const { traceId, spanId } = server.spanContext();
    expect(headers).toEqual({ traceparent: `00-${traceId}-${spanId}-01`, 'x-trace-id': traceId });
    expect(nextCalled).toBe(true);
  });

  it('sets no header when nothing is traced', () => {
    expect(run()).toEqual({ headers: {}, nextCalled: true });
  });
});
