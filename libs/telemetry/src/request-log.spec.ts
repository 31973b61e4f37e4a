import { EventEmitter } from 'node:events';
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { RPCType, setRPCMetadata } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { createLogger } from './logger';
import { requestLog, type RequestLogOptions } from './request-log';

describe('requestLog', () => {
  const manager = new AsyncLocalStorageContextManager();
  const tracer = new BasicTracerProvider().getTracer('test');
  beforeAll(() => context.setGlobalContextManager(manager.enable()));
  afterAll(() => {
    manager.disable();
    context.disable();
  });

  const serve = (url: string, statusCode: number, ctx = ROOT_CONTEXT, finished = true, options: RequestLogOptions = {}): Array<Record<string, unknown>> => {
    const lines: Array<Record<string, unknown>> = [];
    const log = createLogger({ service: 'gateway', destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) } });
    const res = Object.assign(new EventEmitter(), { statusCode, writableFinished: finished });
    context.with(ctx, () => requestLog(log, options)({ method: 'GET', originalUrl: url, socket: { remoteAddress: '127.0.0.1' } }, res, () => undefined));
    res.emit('close');
    return lines;
  };

  it('logs one line per request with the server span trace id, without the query string', () => {
    const server = tracer.startSpan('GET');
    const ctx = setRPCMetadata(trace.setSpan(ROOT_CONTEXT, server), { type: RPCType.HTTP, span: server });
    const [line, ...more] = serve('/hello?name=Ada', 200, ctx);
    expect(more).toEqual([]);
    expect(line).toMatchObject({ msg: 'request', method: 'GET', path: '/hello', statusCode: 200, trace_id: server.spanContext().traceId, span_id: server.spanContext().spanId });
    expect(typeof line!['durationMs']).toBe('number');
    expect(line!['aborted']).toBeUndefined();
  });

  it('marks aborted requests, logs untraced ones without trace_id and skips probes', () => {
    const [line] = serve('/hello', 400, ROOT_CONTEXT, false);
    expect(line).toMatchObject({ path: '/hello', statusCode: 400, aborted: true });
    expect(line!['trace_id']).toBeUndefined();
    expect(serve('/healthz', 200)).toEqual([]);
    expect(serve('/readyz?x=1', 200)).toEqual([]);
  });

  it('takes its own ignored paths and logs the client address only when asked', () => {
    const options = { ignorePaths: ['/v1/traces'], remoteAddress: true };
    expect(serve('/v1/traces', 200, ROOT_CONTEXT, true, options)).toEqual([]);
    expect(serve('/healthz', 200, ROOT_CONTEXT, true, options)).toHaveLength(1);
    expect(serve('/hello', 200, ROOT_CONTEXT, true, options)[0]).toMatchObject({ path: '/hello', remote: '127.0.0.1' });
    expect(serve('/hello', 200)[0]!['remote']).toBeUndefined();
  });
});
