// End-to-end: gateway, greeters and workers as real processes (node --import tsx) against a real
// 3-member etcd cluster, with telemetry exported to an OTLP/HTTP JSON sink in this test, and each
// app's Prometheus metrics served on a port the OS picks.
import { randomUUID } from 'node:crypto';
import { publish, rollback } from '@etcd-patterns/config';
import { AppProcess, type AppName } from '@etcd-patterns/demo';
import { createEtcdClient, watchPrefix, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import { OtlpSink, type SinkSpan } from './otlp-sink';
import { parsePrometheusText, sumOf, type PrometheusSample } from './prometheus-text';
import { waitFor } from './wait-for';

jest.setTimeout(90_000);

const NAMESPACE = 'e2e/greeter';

interface HttpResult {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

describe('reference apps end to end (real processes, 3-member etcd)', () => {
  let cluster: EtcdCluster;
  let sink: OtlpSink;
  let client: Etcd3;
  let gateway: AppProcess;
  let gatewayUrl: string;
  let greeters: AppProcess[] = [];
  let workers: AppProcess[] = [];
  const all = new Set<AppProcess>();
  const greeterEnv = { CONFIG_NAMESPACE: NAMESPACE, SHUTDOWN_DRAIN_MS: '500' };
  const workerEnv = { WORKER_ITEM_DELAY_MS: '150', WORKER_REQUEUE_INTERVAL_MS: '300', WORKER_RESCAN_INTERVAL_MS: '500', SHUTDOWN_DRAIN_MS: '300' };

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    ETCD_ENDPOINTS: cluster.endpoints.join(','),
    ETCD_SESSION_TTL_SECONDS: '3',
    OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: '0',
    ...extra,
  });

  const start = async (app: AppName, instance: string, extra: Record<string, string> = {}): Promise<AppProcess> => {
    const proc = await AppProcess.start({ app, env: env({ INSTANCE_NAME: instance, ...extra }) });
    all.add(proc);
    return proc;
  };

  const http = async (method: string, path: string, body?: string): Promise<HttpResult> => {
    const res = await fetch(`${gatewayUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = { text };
    }
    return { status: res.status, body: parsed };
  };

  const job = async (id: string): Promise<Record<string, unknown>> => (await http('GET', `/jobs/${id}`)).body;

  /** Scrapes the app's `/metrics` (its URL is in its ready line). */
  const scrape = async (proc: AppProcess): Promise<PrometheusSample[]> => {
    const ready = await proc.waitForLog((e) => e['msg'] === `${proc.app} ready`);
    const url = String(ready['metrics']);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(200);
    return parsePrometheusText(await res.text());
  };

  beforeAll(async () => {
    [cluster, sink] = await Promise.all([EtcdCluster.start({ size: 3 }), OtlpSink.start()]);
    client = await createEtcdClient({ endpoints: cluster.endpoints });
    await publish({ client, namespace: NAMESPACE, document: { template: 'Hello, {name}!' }, author: 'e2e', message: 'initial' });
    const started = await Promise.all([
      start('greeter', 'g1', greeterEnv),
      start('greeter', 'g2', greeterEnv),
      start('greeter', 'g3', greeterEnv),
      start('worker', 'w1', workerEnv),
      start('worker', 'w2', workerEnv),
      start('gateway', 'gw', { GATEWAY_PORT: '0', GATEWAY_HOST: '127.0.0.1', LB_POLICY: 'p2c' }),
    ]);
    greeters = started.slice(0, 3);
    workers = started.slice(3, 5);
    gateway = started[5]!;
    gatewayUrl = String((await gateway.waitForLog((e) => e['msg'] === 'gateway ready'))['url']);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([...all].map((p) => p.kill()));
    client?.close();
    await sink?.close();
    await cluster?.close();
  });

  it('serves a greeting through etcd:///greeter and lists the registry with lease TTLs', async () => {
    const hello = await waitFor('a greeting', async () => {
      const r = await http('GET', '/hello?name=Ada');
      return r.status === 200 ? r : undefined;
    });
    expect(hello.body).toMatchObject({ message: 'Hello, Ada!', version: '0.1.0', zone: 'local', configVersion: 1 });
    expect(['g1', 'g2', 'g3']).toContain(hello.body['instance']);

    const services = await http('GET', '/services');
    expect(services.status).toBe(200);
    const registry = services.body['services'] as Record<string, Array<{ metadata: { instance: string }; ttlSeconds: number; grantedTtlSeconds: number }>>;
    expect(registry['greeter']!.map((i) => i.metadata.instance).sort()).toEqual(['g1', 'g2', 'g3']);
    expect(registry['worker']!.map((i) => i.metadata.instance).sort()).toEqual(['w1', 'w2']);
    for (const i of registry['greeter']!) {
      expect(i.grantedTtlSeconds).toBe(3);
      expect(i.ttlSeconds).toBeGreaterThan(0);
    }

    const config = await http('GET', `/config/${NAMESPACE}`);
    expect(config.status).toBe(200);
    expect(config.body).toMatchObject({ namespace: NAMESPACE, version: 1, values: { template: 'Hello, {name}!' } });
    expect(config.body['versions']).toEqual([expect.objectContaining({ version: 1, author: 'e2e', message: 'initial' })]);
  });

  it('serves Prometheus metrics from every app: picks per greeter, registrations, config, leadership, etcd latency', async () => {
    const registry = (await http('GET', '/services?service=greeter')).body['services'] as Record<string, Array<{ address: string; metadata: { instance: string } }>>;
    const addressOf = new Map(registry['greeter']!.map((i) => [i.metadata.instance, i.address]));
    const answered = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const r = await http('GET', '/hello?name=Metrics');
      expect(r.status).toBe(200);
      answered.add(String(r.body['instance']));
    }

    // The gateway: picks per greeter instance address (p2c), and etcd calls by method.
    const gw = await scrape(gateway);
    for (const instance of answered) {
      const picks = sumOf(gw, 'etcd_patterns_lb_resolver_picks_total', { discovery_service: 'greeter', server_address: addressOf.get(instance)!, lb_policy: 'etcd_p2c' });
      expect({ instance, picked: picks > 0 }).toEqual({ instance, picked: true });
    }
    expect(sumOf(gw, 'etcd_patterns_lb_resolver_picks_total', { discovery_service: 'greeter' })).toBeGreaterThanOrEqual(11);
    expect(sumOf(gw, 'etcd_patterns_etcd_request_duration_count', { rpc_service: 'etcdserverpb.KV', rpc_method: 'Range' })).toBeGreaterThan(0);
    expect(gw.some((s) => s.name === 'target_info' && s.labels['service_name'] === 'gateway')).toBe(true);

    // Each greeter: its registration, the config version it applied, its etcd calls.
    for (const greeter of greeters) {
      const samples = await scrape(greeter);
      expect(sumOf(samples, 'etcd_patterns_discovery_registrations_total', { discovery_service: 'greeter', otel_scope_name: '@etcd-patterns/discovery' })).toBe(1);
      expect(sumOf(samples, 'etcd_patterns_config_applied_total', { config_namespace: NAMESPACE, config_source: 'publish' })).toBeGreaterThanOrEqual(1);
      expect(sumOf(samples, 'etcd_patterns_config_version', { config_namespace: NAMESPACE })).toBeGreaterThanOrEqual(1);
      expect(sumOf(samples, 'etcd_patterns_etcd_request_duration_count', { rpc_service: 'etcdserverpb.KV', rpc_method: 'Txn' })).toBeGreaterThan(0);
    }

    // The workers: their registrations, and the requeue leader's election.
    const leader = await Promise.race(workers.map((w) => w.waitForLog((e) => e['msg'] === 'elected: re-queueing jobs of dead workers').then(() => w)));
    for (const worker of workers) {
      const samples = await scrape(worker);
      expect(sumOf(samples, 'etcd_patterns_discovery_registrations_total', { discovery_service: 'worker' })).toBe(1);
      const elected = sumOf(samples, 'etcd_patterns_lock_leadership_changes_total', { election_name: '/elections/worker-requeue', change: 'elected' });
      if (worker === leader) expect(elected).toBe(1);
    }
  });

  it('shows the cluster read-only at /admin/cluster (libs/ops): every endpoint, one leader, members, no alarm', async () => {
    const view = await http('GET', '/admin/cluster');
    expect(view.status).toBe(200);
    const endpoints = view.body['endpoints'] as Array<{ ok: boolean; isLeader: boolean; version: string }>;
    expect(endpoints).toHaveLength(3);
    expect(endpoints.every((e) => e.ok && e.version.length > 0)).toBe(true);
    expect(endpoints.filter((e) => e.isLeader)).toHaveLength(1);
    expect((view.body['members'] as Array<{ name: string }>).map((m) => m.name).sort()).toEqual(['m0', 'm1', 'm2']);
    expect(view.body).toMatchObject({ healthy: true, alarms: [] });
    expect((await http('POST', '/admin/cluster')).status).toBe(405);
  });

  it('answers bad requests with 4xx and a clear JSON message, unknown routes with 404', async () => {
    const cases: Array<[string, string, string | undefined, number, RegExp]> = [
      ['GET', '/hello', undefined, 400, /name: is required/],
      ['GET', '/hello?name=', undefined, 400, /name: must not be empty/],
      ['GET', `/hello?name=${'x'.repeat(101)}`, undefined, 400, /at most 100 characters/],
      ['POST', '/jobs', '{"names": [', 400, /JSON/],
      ['POST', '/jobs', '{"names": []}', 400, /names: must contain at least one name/],
      ['POST', '/jobs', '{"names": "Ada"}', 400, /names: must be an array of strings/],
      ['POST', '/jobs', '[1]', 400, /body must be a JSON object/],
      ['POST', '/jobs', JSON.stringify({ names: Array.from({ length: 20_000 }, () => 'Ada') }), 413, /too large/i],
      ['GET', '/jobs/not-a-uuid', undefined, 400, /id: must be a job id \(UUID\)/],
      ['GET', `/jobs/${randomUUID()}`, undefined, 404, /no job/],
      ['GET', '/config/Prod/greeter', undefined, 400, /env: must be lowercase/],
      ['GET', '/config/e2e/nothing', undefined, 404, /no config in namespace e2e\/nothing/],
      ['GET', '/nope', undefined, 404, /Cannot GET \/nope/],
      ['DELETE', '/hello', undefined, 405, /method DELETE is not allowed on \/hello; allowed: GET, HEAD/],
    ];
    for (const [method, path, body, status, message] of cases) {
      const res = await http(method, path, body);
      expect({ method, path, status: res.status }).toEqual({ method, path, status });
      expect(res.body['statusCode']).toBe(status);
      expect(String(res.body['message'])).toMatch(message);
      expect(typeof res.body['error']).toBe('string');
    }
  });

  it('traces one POST /jobs as one trace across gateway, worker and greeter', async () => {
    const submitted = await http('POST', '/jobs', JSON.stringify({ names: ['Ada', 'Grace'] }));
    expect(submitted.status).toBe(202);
    const id = String(submitted.body['id']);
    await waitFor('the job to finish', async () => (await job(id))['status'] === 'done', 30_000);

    // The worker stored the submit's trace context with the job; processing continued it.
    const chain = await waitFor(
      'spans of gateway, worker and greeter in one trace',
      () => {
        const submitSpan = sink.spans.find((s) => s.service === 'worker' && s.kind === 2 && /SubmitJob/.test(s.name));
        if (!submitSpan) return undefined;
        const trace = sink.spans.filter((s) => s.traceId === submitSpan.traceId);
        const byId = new Map(trace.map((s) => [s.spanId, s]));
        const greeterServer = trace.filter((s) => s.service === 'greeter' && s.kind === 2 && /SayHello/.test(s.name));
        if (greeterServer.length < 2) return undefined;
        // Walk from a greeter span to the root: every hop must be a span we received.
        const path: SinkSpan[] = [];
        for (let s: SinkSpan | undefined = greeterServer[0]; s; s = s.parentSpanId ? byId.get(s.parentSpanId) : undefined) path.push(s);
        const root = path[path.length - 1]!;
        if (root.parentSpanId !== '' || root.service !== 'gateway') return undefined;
        return path;
      },
      20_000,
    );
    const services = chain.map((s) => s.service);
    expect(services[0]).toBe('greeter');
    expect(services).toContain('worker');
    expect(services[services.length - 1]).toBe('gateway');
    expect(new Set(chain.map((s) => s.traceId)).size).toBe(1);
    expect(chain.map((s) => s.name)).toEqual(expect.arrayContaining(['job.run', 'lock.hold']));
    // etcd's own RPCs are not traced.
    expect(sink.spans.filter((s) => /etcdserverpb|\/(Range|Txn|Put|LeaseKeepAlive|Watch)$/.test(s.name))).toEqual([]);
  });

  it('applies a config publish to every greeter replica without a restart', async () => {
    const pids = greeters.map((g) => g.pid);
    const result = await publish({ client, namespace: NAMESPACE, document: { template: 'Howdy, {name}! ({instance})' }, author: 'e2e', message: 'new template' });
    await Promise.all(greeters.map((g) => g.waitForLog((e) => e['msg'] === 'greeting config reloaded' && e['version'] === result.version)));
    const seen = new Set<string>();
    await waitFor(
      'every replica answering with the new template',
      async () => {
        const r = await http('GET', '/hello?name=Zed');
        if (r.status === 200 && r.body['message'] === `Howdy, Zed! (${String(r.body['instance'])})`) {
          expect(r.body['configVersion']).toBe(result.version);
          seen.add(String(r.body['instance']));
        }
        return seen.size === 3;
      },
      20_000,
      20,
    );
    expect([...seen].sort()).toEqual(['g1', 'g2', 'g3']);
    expect(greeters.map((g) => g.pid)).toEqual(pids);
    expect(greeters.every((g) => g.running)).toBe(true);
  });

  it('refuses an invalid config at the door (stored schema), and shows what each replica applied and refused', async () => {
    // The greeters stored their schema at start: the library (and epctl) refuse at once.
    await expect(publish({ client, namespace: NAMESPACE, document: { template: 'no placeholder' }, author: 'e2e' })).rejects.toMatchObject({
      code: 'CONFIG_VALIDATION_FAILED',
      message: expect.stringContaining('stored schema'),
    });
    const before = await http('GET', `/config/${NAMESPACE}`);
    const liveVersion = before.body['version'] as number;
    await waitFor('every replica reporting the live version', async () => {
      const r = await http('GET', `/config/${NAMESPACE}`);
      const replicas = r.body['replicas'] as Array<{ instance: string; version: number }>;
      return replicas.length === 3 && replicas.every((x) => x.version === liveVersion) && r.body['drift'] === false;
    }, 20_000, 50);

    // Past the door (as etcdctl or a tool without the schema would): every replica refuses it.
    const bad = await publish({ client, namespace: NAMESPACE, document: { template: 'no placeholder' }, author: 'e2e', useStoredSchema: false });
    await Promise.all(greeters.map((g) => g.waitForLog((e) => e['msg'] === 'greeting config change refused' && e['version'] === bad.version)));
    const view = await waitFor('every replica reporting the refusal', async () => {
      const r = await http('GET', `/config/${NAMESPACE}`);
      const replicas = r.body['replicas'] as Array<{ rejected?: { version: number } }>;
      return replicas.length === 3 && replicas.every((x) => x.rejected?.version === bad.version) ? r : undefined;
    }, 20_000, 50);
    expect(view.body).toMatchObject({ version: bad.version, drift: true, driftReasons: ['replicas-disagree'] });
    for (const replica of view.body['replicas'] as unknown[]) {
      expect(replica).toMatchObject({ version: liveVersion, upToDate: false, rejected: { version: bad.version, reason: expect.stringContaining('must contain {name}') } });
    }
    // The refusal is logged on one line, with the reason, not a dump of the validator's JSON.
    const refused = await greeters[0]!.waitForLog((e) => e['msg'] === 'greeting config change refused' && e['version'] === bad.version);
    expect(String(refused['reason'])).toContain('template');
    expect(String(refused['reason'])).not.toContain('\n');

    // Roll back to the good version: applied everywhere, and logged as a rollback.
    const back = await rollback({ client, namespace: NAMESPACE, version: liveVersion, author: 'e2e' });
    await Promise.all(greeters.map((g) => g.waitForLog((e) => e['msg'] === 'greeting config reloaded' && e['version'] === back.version && e['source'] === 'rollback')));
  });

  it('restarts every greeter under steady load with zero failed requests', async () => {
    let stop = false;
    const failures: string[] = [];
    const answeredBy: string[] = [];
    const load = Array.from({ length: 4 }, async () => {
      while (!stop) {
        try {
          const r = await http('GET', '/hello?name=Load');
          if (r.status === 200) answeredBy.push(String(r.body['instance']));
          else failures.push(`${r.status} ${JSON.stringify(r.body)}`);
        } catch (error) {
          failures.push(String(error));
        }
      }
    });
    try {
      await waitFor('load to be flowing', () => answeredBy.length >= 20);
      const replacements: AppProcess[] = [];
      for (const [index, old] of greeters.entries()) {
        replacements.push(await start('greeter', `g${index + 1}-v2`, { CONFIG_NAMESPACE: NAMESPACE, SHUTDOWN_DRAIN_MS: '500' }));
        const before = answeredBy.length;
        const exit = await old.stop();
        expect(exit.signal === 'SIGTERM' || exit.code === 0).toBe(true);
        await waitFor('requests after the restart', () => answeredBy.length >= before + 20);
      }
      greeters = replacements;
      const mark = answeredBy.length;
      await waitFor('requests answered by the new replicas only', () => answeredBy.length >= mark + 30);
      expect(answeredBy.slice(mark).every((n) => n.endsWith('-v2'))).toBe(true);
    } finally {
      stop = true;
      await Promise.all(load);
    }
    expect(failures).toEqual([]);
    expect(answeredBy.length).toBeGreaterThan(100);
  });

  it('hands a job back when its worker shuts down gracefully; the other worker finishes it', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `s${i + 1}`);
    const submitted = await http('POST', '/jobs', JSON.stringify({ names }));
    const id = String(submitted.body['id']);
    const running = await waitFor('the job to be running', async () => {
      const j = await job(id);
      return j['status'] === 'running' && (j['results'] as string[]).length >= 2 ? j : undefined;
    });
    const holder = workers.find((w) => w.instance === running['worker'])!;
    const other = workers.find((w) => w !== holder)!;
    const exit = await holder.stop(); // SIGTERM: deregister, hand the job back, resign, drain
    expect(exit.signal === 'SIGTERM' || exit.code === 0).toBe(true);
    expect(holder.logs.some((e) => e['msg'] === 'job handed back' && e['jobId'] === id)).toBe(true);

    const done = await waitFor('the job to be finished by the other worker', async () => {
      const j = await job(id);
      return j['status'] === 'done' ? j : undefined;
    }, 30_000);
    expect(done).toMatchObject({ finishedBy: other.instance, attempts: 2 });
    expect((done['results'] as string[]).map((r, i) => r.includes(names[i]!))).toEqual(names.map(() => true));
    const registry = (await http('GET', '/services?service=worker')).body['services'] as Record<string, Array<{ metadata: { instance: string } }>>;
    expect(registry['worker']!.map((i) => i.metadata.instance)).toEqual([other.instance]);
    // The leader, if it was the one stopped, resigned: the other worker leads at once.
    await other.waitForLog((e) => e['msg'] === 'elected: re-queueing jobs of dead workers');

    workers = [other, await start('worker', 'w3', workerEnv)];
  });

  it('finishes a job exactly once after kill -9 of the worker holding it', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `n${String(i + 1).padStart(2, '0')}`);
    const watch = new AbortController();
    const all: Array<{ key: string; status: string; worker: string; fencingToken: number }> = [];
    const watching = (async () => {
      for await (const message of watchPrefix(client, '/jobs/', { signal: watch.signal })) {
        if (message.kind !== 'events') continue;
        for (const e of message.events) {
          if (e.type !== 'put') continue;
          const value = JSON.parse(e.kv.value.toString()) as { status: string; worker: string; fencingToken: number };
          all.push({ key: e.kv.key, status: value.status, worker: value.worker, fencingToken: value.fencingToken });
        }
      }
    })().catch(() => undefined);
    let id = '';
    try {
      const submitted = await http('POST', '/jobs', JSON.stringify({ names }));
      expect(submitted.status).toBe(202);
      id = String(submitted.body['id']);
      const running = await waitFor('the job to be half-way', async () => {
        const j = await job(id);
        return j['status'] === 'running' && (j['results'] as string[]).length >= 3 ? j : undefined;
      });
      const holder = workers.find((w) => w.instance === running['worker'])!;
      expect(holder).toBeDefined();
      await holder.kill(); // SIGKILL: no hand-back, the lock stays until its lease expires

      const done = await waitFor('the job to be finished by the other worker', async () => {
        const j = await job(id);
        return j['status'] === 'done' ? j : undefined;
      }, 40_000);
      expect(done['finishedBy']).not.toBe(holder.instance);
      expect(done['attempts']).toBeGreaterThanOrEqual(2);
      const results = done['results'] as string[];
      expect(results).toHaveLength(names.length);
      results.forEach((r, i) => expect(r).toContain(names[i]));
      await waitFor('the watch to deliver the completion', () => all.some((e) => e.key === `/jobs/${id}` && e.status === 'done'));
    } finally {
      watch.abort();
      await watching;
    }
    const events = all.filter((e) => e.key === `/jobs/${id}`);
    // Exactly one completion, and fencing tokens never go back (no write from the dead holder
    // after the next one claimed the job).
    expect(events.filter((e) => e.status === 'done')).toHaveLength(1);
    for (let i = 1; i < events.length; i++) expect(events[i]!.fencingToken).toBeGreaterThanOrEqual(events[i - 1]!.fencingToken);
    expect(new Set(events.filter((e) => e.status === 'running').map((e) => e.worker)).size).toBe(2);
  });
});
