import type { ReceivedSpan } from './otlp-json';
import { TraceStore } from './trace-store';

const MS = 1_000_000n;
const T0 = 1_767_225_600_000n * MS; // 2026-01-01T00:00:00Z

function span(traceId: string, spanId: string, parentSpanId: string, startMs: number, endMs: number, extra: Partial<ReceivedSpan> = {}): ReceivedSpan {
  return {
    service: 'gateway',
    traceId: traceId.padStart(32, '0'),
    spanId: spanId.padStart(16, '0'),
    parentSpanId: parentSpanId === '' ? '' : parentSpanId.padStart(16, '0'),
    name: `span ${spanId}`,
    kind: 1,
    startTimeUnixNano: T0 + BigInt(startMs) * MS,
    endTimeUnixNano: T0 + BigInt(endMs) * MS,
    attributes: {},
    statusCode: 0,
    statusMessage: '',
    ...extra,
  };
}

describe('TraceStore', () => {
  it('groups spans by trace and summarizes each, newest first', () => {
    const store = new TraceStore();
    store.add([span('a', '1', '', 0, 10, { name: 'GET /hello', kind: 2 }), span('b', '3', '', 50, 60, { name: 'POST /jobs' })]);
    store.add([span('a', '2', '1', 2, 8, { service: 'greeter', name: 'SayHello' })]);
    expect(store.size).toBe(2);
    expect(store.list()).toEqual([
      { traceId: 'b'.padStart(32, '0'), rootName: 'POST /jobs', rootService: 'gateway', services: ['gateway'], spanCount: 1, droppedSpans: 0, durationMs: 10, startTime: '2026-01-01T00:00:00.050Z' },
      { traceId: 'a'.padStart(32, '0'), rootName: 'GET /hello', rootService: 'gateway', services: ['gateway', 'greeter'], spanCount: 2, droppedSpans: 0, durationMs: 10, startTime: '2026-01-01T00:00:00.000Z' },
    ]);
  });

  it('keeps at most maxTraces, dropping the trace received first', () => {
    const store = new TraceStore({ maxTraces: 3 });
    for (let i = 1; i <= 5; i++) store.add([span(String(i), '1', '', i, i + 1)]);
    store.add([span('4', '2', '1', 4, 5)]); // a span of a kept trace does not evict anything
    expect(store.size).toBe(3);
    expect(store.list().map((t) => t.traceId.slice(-1))).toEqual(['5', '4', '3']);
    expect(store.get('1'.padStart(32, '0'))).toBeUndefined();
    expect(store.get('4'.padStart(32, '0'))!.spanCount).toBe(2);
  });

  it('bounds spans per trace, counting the dropped ones, and keeps a repeated span once', () => {
    const store = new TraceStore({ maxSpansPerTrace: 2 });
    store.add([span('a', '1', '', 0, 10), span('a', '1', '', 0, 10), span('a', '2', '1', 1, 2), span('a', '3', '1', 3, 4)]);
    store.add([span('a', '2', '1', 1, 2)]);
    expect(store.list()[0]).toMatchObject({ spanCount: 2, droppedSpans: 1 });
  });

  it('orders spans depth-first under their parents, siblings by start time', () => {
    const store = new TraceStore();
    // Received in an order unrelated to the tree, as batches from several services arrive.
    store.add([
      span('a', '5', '3', 6, 7),
      span('a', '3', '1', 5, 9),
      span('a', '4', '2', 2, 3),
      span('a', '2', '1', 1, 4),
      span('a', '1', '', 0, 10),
      span('a', '6', '9', 8, 9), // parent never received
    ]);
    const trace = store.get('A'.padStart(32, '0'))!; // any case
    expect(trace.spans.map((s) => [s.spanId.replace(/^0+/, ''), s.depth, s.parentMissing])).toEqual([
      ['1', 0, false],
      ['2', 1, false],
      ['4', 2, false],
      ['3', 1, false],
      ['5', 2, false],
      ['6', 0, true],
    ]);
    expect(trace.rootName).toBe('span 1');
    expect(trace.spans[3]).toMatchObject({ offsetMs: 5, durationMs: 4, kind: 'internal', status: 'unset', startTime: '2026-01-01T00:00:00.005Z' });
  });

  it('names the trace after the earliest orphan while its root is missing, and survives parent cycles', () => {
    const store = new TraceStore();
    store.add([span('a', '2', '1', 3, 4, { name: 'late child' }), span('a', '3', '1', 1, 2, { name: 'early child' })]);
    expect(store.list()[0]!.rootName).toBe('early child');
    store.add([span('b', '1', '2', 0, 1), span('b', '2', '1', 1, 2)]);
    expect(store.get('b'.padStart(32, '0'))!.spans.map((s) => s.depth)).toEqual([0, 1]);
  });
});
