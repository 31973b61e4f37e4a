// End-to-end: the gateway returns each request's trace context in its response headers, and the
// demo's built-in trace viewer shows that trace with the spans of the gateway and the greeter.
// Real etcd, the gateway and a greeter as real processes exporting OTLP/HTTP JSON to the viewer.
import { publish } from '@etcd-patterns/config';
import { AppProcess, escapeHtml, TraceReceiver, type AppName, type TraceSpanView, type TraceSummary, type TraceView } from '@etcd-patterns/demo';
import { createEtcdClient } from '@etcd-patterns/etcd';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import { waitFor } from './wait-for';

jest.setTimeout(90_000);

const NAMESPACE = 'e2e-traces/greeter';
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

describe('trace context in responses and the demo trace viewer (real processes)', () => {
  let cluster: EtcdCluster;
  let receiver: TraceReceiver;
  let gateway: AppProcess;
  let gatewayUrl: string;
  const procs: AppProcess[] = [];

  const start = async (app: AppName, env: Record<string, string>): Promise<AppProcess> => {
    const proc = await AppProcess.start({
      app,
      env: {
        ETCD_ENDPOINTS: cluster.endpoints.join(','),
        ETCD_SESSION_TTL_SECONDS: '3',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        ...env,
      },
    });
    procs.push(proc);
    return proc;
  };

  const get = (url: string, headers: Record<string, string> = {}): Promise<Response> => fetch(url, { headers, signal: AbortSignal.timeout(10_000) });

  /** The trace `traceId` from the viewer, once `ready` holds for it (spans arrive in batches). */
  const traceOf = (traceId: string, ready: (trace: TraceView) => boolean): Promise<TraceView> =>
    waitFor(`trace ${traceId} in the viewer`, async () => {
      const res = await get(`${receiver.tracesUrl}/${traceId}`, { accept: 'application/json' });
      if (res.status !== 200) return undefined;
      const trace = (await res.json()) as TraceView;
      return ready(trace) ? trace : undefined;
    });

  beforeAll(async () => {
    [cluster, receiver] = await Promise.all([EtcdCluster.start({ size: 1 }), TraceReceiver.start()]);
    const client = await createEtcdClient({ endpoints: cluster.endpoints });
    try {
      await publish({ client, namespace: NAMESPACE, document: { template: 'Hello, {name}!' }, author: 'e2e', message: 'initial' });
    } finally {
      client.close();
    }
    await start('greeter', { INSTANCE_NAME: 'tg1', CONFIG_NAMESPACE: NAMESPACE, SHUTDOWN_DRAIN_MS: '0' });
    gateway = await start('gateway', { INSTANCE_NAME: 'tgw', GATEWAY_PORT: '0', GATEWAY_HOST: '127.0.0.1' });
    gatewayUrl = String((await gateway.waitForLog((e) => e['msg'] === 'gateway ready'))['url']);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    await receiver?.close();
    await cluster?.close();
  });

  it('answers GET /hello with traceparent and x-trace-id of one trace spanning gateway and greeter', async () => {
    const res = await waitFor('a greeting', async () => {
      const r = await get(`${gatewayUrl}/hello?name=Ada`);
      await r.arrayBuffer();
      return r.status === 200 ? r : undefined;
    });
    const traceparent = res.headers.get('traceparent') ?? '';
    const [, traceId, serverSpanId] = TRACEPARENT.exec(traceparent) ?? [];
    expect(traceparent).toMatch(TRACEPARENT);
    expect(res.headers.get('x-trace-id')).toBe(traceId);
    // The gateway's request log line carries the same ids (the demo prints its trace_id).
    const logged = await gateway.waitForLog((e) => e['msg'] === 'request' && e['trace_id'] === traceId);
    expect(logged).toMatchObject({ method: 'GET', path: '/hello', statusCode: 200, span_id: serverSpanId });

    const isGreeterServer = (s: TraceSpanView): boolean => s.service === 'greeter' && s.kind === 'server';
    const trace = await traceOf(traceId!, (t) => t.spans.some(isGreeterServer) && t.spans.some((s) => s.spanId === serverSpanId));
    expect(trace.traceId).toBe(traceId);
    expect(trace.services).toEqual(expect.arrayContaining(['gateway', 'greeter']));

    // traceparent names the gateway's HTTP server span: the root of the trace.
    const root = trace.spans.find((s) => s.spanId === serverSpanId)!;
    expect(root).toMatchObject({ service: 'gateway', kind: 'server', parentSpanId: '', depth: 0 });
    expect(trace.rootName).toBe(root.name);

    // The greeter's server span descends from it, and every span comes after its parent.
    const byId = new Map(trace.spans.map((s) => [s.spanId, s]));
    const chain: string[] = [];
    for (let s = trace.spans.find(isGreeterServer); s; s = byId.get(s.parentSpanId)) chain.push(s.spanId);
    expect(chain[chain.length - 1]).toBe(serverSpanId);
    const position = new Map(trace.spans.map((s, i) => [s.spanId, i]));
    for (const s of trace.spans) if (s.parentSpanId && byId.has(s.parentSpanId)) expect(position.get(s.parentSpanId)!).toBeLessThan(position.get(s.spanId)!);

    // The waterfall page shows every span by name.
    const page = await get(`${receiver.tracesUrl}/${traceId}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    for (const s of trace.spans) expect(html).toContain(escapeHtml(s.name));
    expect(html).toContain('greeter');
  });

  it('puts the trace headers on error responses too, and lists their traces', async () => {
    const ids: string[] = [];
    for (const [path, status] of [['/hello', 400], ['/nope', 404]] as const) {
      const res = await get(`${gatewayUrl}${path}`);
      expect([path, res.status]).toEqual([path, status]);
      expect(((await res.json()) as { statusCode: number }).statusCode).toBe(status);
      const traceId = res.headers.get('x-trace-id') ?? '';
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(res.headers.get('traceparent')).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      ids.push(traceId);
    }
    const listed = await waitFor('both error traces in the list', async () => {
      const list = (await (await get(receiver.tracesUrl)).json()) as TraceSummary[];
      return ids.every((id) => list.some((t) => t.traceId === id)) ? list : undefined;
    });
    for (const id of ids) expect(listed.find((t) => t.traceId === id)).toMatchObject({ rootService: 'gateway', services: ['gateway'] });
    // Newest first.
    const starts = listed.map((t) => Date.parse(t.startTime));
    expect([...starts].sort((a, b) => b - a)).toEqual(starts);
  });

  it('answers an unknown trace id with 404 JSON', async () => {
    const res = await get(`${receiver.tracesUrl}/${'f'.repeat(32)}`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ statusCode: 404, error: 'NOT_FOUND' });
  });
});
