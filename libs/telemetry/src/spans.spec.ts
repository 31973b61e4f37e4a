import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { parseTelemetryEnv } from './env';
import { captureTraceContext, recordConfigReload, traceLockHold, traceLockWait, withSpan, withSpanFromCarrier } from './spans';

describe('pattern spans', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const manager = new AsyncLocalStorageContextManager().enable();

  beforeAll(() => {
    trace.setGlobalTracerProvider(provider);
    context.setGlobalContextManager(manager);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });
  afterAll(async () => {
    await provider.shutdown();
    manager.disable();
    trace.disable();
    context.disable();
    propagation.disable();
  });
  beforeEach(() => exporter.reset());

  it('records lock wait and hold with the fencing token, and failures with their code', async () => {
    const lost = new AbortController();
    const handle = await traceLockWait('/locks/x', async () => ({ token: 42, lost: lost.signal }));
    await traceLockHold(handle, '/locks/x', async () => lost.abort());
    await expect(withSpan('failing', {}, async () => Promise.reject(Object.assign(new Error('gone'), { code: 'LOCK_NOT_HELD' })))).rejects.toThrow('gone');
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => [s.name, s.attributes])).toEqual([
      ['lock.wait', { 'lock.name': '/locks/x', 'lock.acquired': true, 'lock.fencing_token': 42 }],
      ['lock.hold', { 'lock.name': '/locks/x', 'lock.fencing_token': 42, 'lock.lost': true }],
      ['failing', { 'error.code': 'LOCK_NOT_HELD' }],
    ]);
    expect(spans[2]!.status.code).toBe(2);
  });

  it('continues a stored trace context in another span', async () => {
    const carrier = await withSpan('submit', {}, async () => captureTraceContext());
    expect(carrier['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    await withSpanFromCarrier(carrier, 'job.run', { 'job.id': 'j1' }, async () => withSpan('child', {}, () => undefined));
    const [submit, child, run] = exporter.getFinishedSpans();
    expect(run!.spanContext().traceId).toBe(submit!.spanContext().traceId);
    expect(run!.parentSpanContext?.spanId).toBe(submit!.spanContext().spanId);
    expect(child!.parentSpanContext?.spanId).toBe(run!.spanContext().spanId);
  });

  it('records config reloads as root spans', async () => {
    await withSpan('unrelated', {}, () => recordConfigReload('dev/greeter', { version: 3, revision: 9, source: 'publish', diff: { added: [], removed: [], changed: [1] } }));
    const reload = exporter.getFinishedSpans().find((s) => s.name === 'config.reload')!;
    expect(reload.parentSpanContext).toBeUndefined();
    expect(reload.attributes).toMatchObject({ 'config.namespace': 'dev/greeter', 'config.version': 3, 'config.keys_changed': 1 });
  });
});

describe('telemetry environment', () => {
  it('reads the standard variables and refuses bad ones', () => {
    expect(parseTelemetryEnv({})).toEqual({ OTEL_SDK_DISABLED: false, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', METRICS_PORT: 0, METRICS_HOST: '0.0.0.0' });
    expect(parseTelemetryEnv({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' })).toMatchObject({ OTEL_SDK_DISABLED: true });
    expect(() => parseTelemetryEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'nope' })).toThrow(
      /^invalid telemetry environment: OTEL_EXPORTER_OTLP_ENDPOINT: .*; OTEL_EXPORTER_OTLP_PROTOCOL: /,
    );
  });
});
