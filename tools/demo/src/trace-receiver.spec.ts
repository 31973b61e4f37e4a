import { gzipSync } from 'node:zlib';
import { TraceReceiver } from './trace-receiver';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

function exportBody(service: string, spans: Array<{ spanId: string; parentSpanId?: string; name: string; startMs: number; endMs: number }>): string {
  const ns = (ms: number): string => (1_767_225_600_000_000_000n + BigInt(ms) * 1_000_000n).toString();
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [{ spans: spans.map((s) => ({ traceId: TRACE, spanId: s.spanId, parentSpanId: s.parentSpanId, name: s.name, kind: 2, startTimeUnixNano: ns(s.startMs), endTimeUnixNano: ns(s.endMs) })) }],
      },
    ],
  });
}

describe('TraceReceiver', () => {
  let receiver: TraceReceiver;
  const received: string[] = [];
  beforeAll(async () => {
    receiver = await TraceReceiver.start({ maxTraces: 5, onSpans: (spans) => received.push(...spans.map((s) => s.name)) });
  });
  afterAll(() => receiver.close());

  const post = (body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<Response> =>
    fetch(`${receiver.endpoint}/v1/traces`, { method: 'POST', headers, body });

  it('receives OTLP/HTTP JSON exports (gzip too) and serves the list and the trace', async () => {
    expect(receiver.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(receiver.tracesUrl).toBe(`${receiver.endpoint}/traces`);
    const ack = await post(exportBody('gateway', [{ spanId: '00f067aa0ba902b7', name: 'GET /hello', startMs: 0, endMs: 20 }]));
    expect([ack.status, await ack.json()]).toEqual([200, {}]);
    const zipped = await post(gzipSync(exportBody('greeter', [{ spanId: '00f067aa0ba902b8', parentSpanId: '00f067aa0ba902b7', name: 'SayHello <x>', startMs: 5, endMs: 15 }])), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(zipped.status).toBe(200);
    expect(received).toEqual(['GET /hello', 'SayHello <x>']);

    const list = await fetch(receiver.tracesUrl);
    expect(list.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await list.json()).toEqual([expect.objectContaining({ traceId: TRACE, rootName: 'GET /hello', services: ['gateway', 'greeter'], spanCount: 2, durationMs: 20 })]);

    const json = await fetch(`${receiver.tracesUrl}/${TRACE.toUpperCase()}`, { headers: { accept: 'application/json' } });
    const view = (await json.json()) as { spans: Array<{ name: string; depth: number; service: string }> };
    expect(view.spans.map((s) => [s.service, s.name, s.depth])).toEqual([['gateway', 'GET /hello', 0], ['greeter', 'SayHello <x>', 1]]);

    const page = await fetch(`${receiver.tracesUrl}/${TRACE}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain('SayHello &lt;x&gt;');
    expect(html).not.toContain('SayHello <x>');
  });

  it('answers unknown traces and paths with 404 JSON, and refuses bad exports', async () => {
    for (const path of [`/traces/${'0'.repeat(32)}`, '/traces/not-an-id', '/traces/%E0%A4%A', '/nope']) {
      const res = await fetch(`${receiver.endpoint}${path}`, { headers: { accept: 'text/html' } });
      expect([path, res.status]).toEqual([path, 404]);
      expect(await res.json()).toMatchObject({ statusCode: 404, error: 'NOT_FOUND' });
    }
    expect((await post('{"resourceSpans": [')).status).toBe(400);
    expect((await post('[]')).status).toBe(400);
    expect((await post(Buffer.from([1, 2, 3]), { 'content-type': 'application/x-protobuf' })).status).toBe(415);
    const get = await fetch(`${receiver.endpoint}/v1/traces`);
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
    expect((await fetch(receiver.tracesUrl, { method: 'DELETE' })).status).toBe(405);
  });

  it('closes idempotently', async () => {
    const other = await TraceReceiver.start();
    await Promise.all([other.close(), other.close()]);
    await expect(fetch(other.tracesUrl)).rejects.toThrow();
  });

  it('passes accepted exports on to another receiver (the console) when told to', async () => {
    const next = await TraceReceiver.start();
    try {
      receiver.forwardTo(`${next.endpoint}/v1/traces`);
      const zipped = gzipSync(exportBody('worker', [{ spanId: '00f067aa0ba902c1', name: 'forwarded', startMs: 0, endMs: 1 }]));
      expect((await post(zipped, { 'content-type': 'application/json', 'content-encoding': 'gzip' })).status).toBe(200);
      const deadline = Date.now() + 5000;
      while (next.store.size === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(next.store.list()[0]).toMatchObject({ rootName: 'forwarded', rootService: 'worker' });
    } finally {
      receiver.forwardTo(undefined);
      await next.close();
    }
  });
});
