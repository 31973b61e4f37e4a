// End-to-end: HTTP edge cases of the gateway (repeated query parameters, requests Node's parser
// rejects, wrong methods, retried job submissions) against the real apps as processes (one
// greeter, one worker, the gateway) and a real 1-member etcd cluster. Also slow clients
// (slowloris): the gateway runs with a 1 s headers timeout and a 2 s request timeout here.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { publish } from '@etcd-patterns/config';
import { AppProcess, type AppName } from '@etcd-patterns/demo';
import { createEtcdClient, watchPrefix, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import { waitFor } from './wait-for';

jest.setTimeout(90_000);

const NAMESPACE = 'e2e-http/greeter';
const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;
/** A slow client gives up (and the test fails) after this long without being cut off: a generous bound. */
const SLOW_CLIENT_GIVE_UP_MS = 20_000;

interface SlowClientResult {
  /** What the gateway answered (`HTTP/1.1 408 ...`), or `'never cut off'`. */
  readonly statusLine: string;
  readonly body: string;
  readonly elapsedMs: number;
}

/**
 * A slowloris-style client: sends `head`, then one `drip` every 200 ms, and never finishes the
 * request. Resolves when the gateway closes the connection, with what it answered; gives up
 * after {@link SLOW_CLIENT_GIVE_UP_MS} (statusLine `never cut off`).
 */
function slowClient(port: number, head: string, drip: string): Promise<SlowClientResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const finish = (statusLine?: string): void => {
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      const [headPart = '', body = ''] = Buffer.concat(chunks).toString().split('\r\n\r\n');
      resolve({ statusLine: statusLine ?? headPart.split('\r\n')[0] ?? '', body, elapsedMs: Date.now() - started });
    };
    const giveUp = setTimeout(() => finish('never cut off'), SLOW_CLIENT_GIVE_UP_MS);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('close', () => finish());
    socket.on('error', () => undefined); // a reset after the answer: 'close' follows
    socket.once('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (socket.writable) socket.write(drip);
      }, 200);
    });
  });
}

interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

/** The error shape every error answer of the gateway has. */
const errorShape = (statusCode: number, message: RegExp) => expect.objectContaining({ statusCode, error: expect.stringMatching(/^[A-Z_]+$/), message: expect.stringMatching(message) });

describe('gateway HTTP edge cases (real processes, 1-member etcd)', () => {
  let cluster: EtcdCluster;
  let client: Etcd3;
  let gatewayUrl: string;
  let gatewayPort: number;
  const all = new Set<AppProcess>();

  const start = async (app: AppName, extra: Record<string, string>): Promise<AppProcess> => {
    const proc = await AppProcess.start({
      app,
      env: { ETCD_ENDPOINTS: cluster.endpoints.join(','), ETCD_SESSION_TTL_SECONDS: '3', OTEL_SDK_DISABLED: 'true', INSTANCE_NAME: `${app}-edge`, ...extra },
    });
    all.add(proc);
    return proc;
  };

  const http = async (method: string, path: string, options: { body?: string; headers?: Record<string, string> } = {}): Promise<HttpResult> => {
    const res = await fetch(`${gatewayUrl}${path}`, {
      method,
      headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
      body: options.body,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = { notJson: text };
    }
    return { status: res.status, headers: res.headers, body };
  };

  const submit = (names: string[], key?: string): Promise<HttpResult> =>
    http('POST', '/jobs', { body: JSON.stringify({ names }), headers: key === undefined ? {} : { 'Idempotency-Key': key } });

  /** Writes `raw` on a new connection; resolves with everything the gateway sent until it closed. */
  const rawHttp = async (raw: string): Promise<{ statusLine: string; headers: string; body: string }> => {
    const socket = connect(gatewayPort, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.write(raw);
    await once(socket, 'end');
    socket.destroy();
    const text = Buffer.concat(chunks).toString();
    const [head = '', body = ''] = text.split('\r\n\r\n');
    const [statusLine = '', ...headers] = head.split('\r\n');
    return { statusLine, headers: headers.join('\n'), body };
  };

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 1 });
    client = await createEtcdClient({ endpoints: cluster.endpoints });
    await publish({ client, namespace: NAMESPACE, document: { template: 'Hello, {name}!' }, author: 'e2e', message: 'initial' });
    const [, , gateway] = await Promise.all([
      start('greeter', { CONFIG_NAMESPACE: NAMESPACE, GREETER_HOST: '127.0.0.1', SHUTDOWN_DRAIN_MS: '0' }),
      start('worker', { WORKER_HOST: '127.0.0.1', WORKER_ITEM_DELAY_MS: '50', SHUTDOWN_DRAIN_MS: '0' }),
      start('gateway', { GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: '0', GATEWAY_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS), GATEWAY_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) }),
    ]);
    gatewayUrl = String((await gateway!.waitForLog((e) => e['msg'] === 'gateway ready'))['url']);
    gatewayPort = Number(new URL(gatewayUrl).port);
    await waitFor('a greeting through the gateway', async () => (await http('GET', '/hello?name=Ada')).status === 200);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([...all].map((p) => p.kill()));
    client?.close();
    await cluster?.close();
  });

  describe('query parameters', () => {
    it('answers a repeated name with 400 saying it is given twice, not that it is missing', async () => {
      const res = await http('GET', '/hello?name=Ada&name=Bob');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'BAD_REQUEST',
        message: 'invalid request: name: is given 2 times; give it once',
        issues: [{ path: 'name', message: 'is given 2 times; give it once' }],
      });
      expect((await http('GET', '/services?service=greeter&service=worker')).body).toEqual(errorShape(400, /service: is given 2 times/));
      expect((await http('GET', '/hello')).body).toEqual(errorShape(400, /name: is required/));
    });
  });

  describe('requests the HTTP parser rejects', () => {
    it('answers a 20,000-character name (beyond the 16 KiB header limit) with 431 and a JSON body', async () => {
      const res = await http('GET', `/hello?name=${'x'.repeat(20_000)}`);
      expect(res.status).toBe(431);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body).toEqual(errorShape(431, /too large/));
      expect(res.body['error']).toBe('REQUEST_HEADER_FIELDS_TOO_LARGE');
    });

    it('answers a malformed request with 400 and a JSON body', async () => {
      const res = await rawHttp('THIS IS NOT HTTP\r\n\r\n');
      expect(res.statusLine).toBe('HTTP/1.1 400 Bad Request');
      expect(res.headers).toMatch(/^content-type: application\/json/im);
      expect(JSON.parse(res.body)).toEqual(errorShape(400, /^malformed HTTP request/));
      const badHeader = await rawHttp('GET /hello?name=Ada HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n');
      expect(badHeader.statusLine).toBe('HTTP/1.1 400 Bad Request');
      expect(JSON.parse(badHeader.body)).toMatchObject({ statusCode: 400, error: 'BAD_REQUEST' });
    });

    it('still validates a name above the length limit but within the header limit (normal 400)', async () => {
      const res = await http('GET', `/hello?name=${'x'.repeat(5000)}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'BAD_REQUEST', issues: [{ path: 'name', message: 'must be at most 100 characters' }] });
      // and the gateway goes on serving
      expect((await http('GET', '/hello?name=Ada')).body).toMatchObject({ message: 'Hello, Ada!' });
    });
  });

  describe('methods', () => {
    it('answers a wrong method on an existing path with 405, Allow and a JSON body', async () => {
      const cases: Array<[string, string, string]> = [
        ['DELETE', '/hello', 'GET, HEAD'],
        ['POST', '/hello', 'GET, HEAD'],
        ['PUT', '/jobs', 'POST'],
        ['GET', '/jobs', 'POST'],
        ['DELETE', `/jobs/${randomUUID()}`, 'GET, HEAD'],
        ['POST', '/healthz', 'GET, HEAD'],
        ['PATCH', '/config/dev/greeter', 'GET, HEAD'],
      ];
      for (const [method, path, allow] of cases) {
        const res = await http(method, path);
        expect({ method, path, status: res.status, allow: res.headers.get('allow') }).toEqual({ method, path, status: 405, allow });
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        expect(res.body).toEqual({ statusCode: 405, error: 'METHOD_NOT_ALLOWED', message: `method ${method} is not allowed on ${path}; allowed: ${allow}` });
      }
    });

    it('keeps 404 for unknown paths and for a missing resource on an allowed method', async () => {
      for (const [method, path, message] of [
        ['GET', '/nope', /Cannot GET \/nope/],
        ['DELETE', '/jobs/x/y', /Cannot DELETE \/jobs\/x\/y/],
        ['GET', '/config/e2e/nothing', /no config in namespace e2e\/nothing/],
        ['GET', `/jobs/${randomUUID()}`, /no job/],
      ] as const) {
        const res = await http(method, path);
        expect({ method, path, status: res.status, allow: res.headers.get('allow') }).toEqual({ method, path, status: 404, allow: null });
        expect(res.body).toEqual(errorShape(404, message));
      }
      expect((await http('HEAD', '/healthz')).status).toBe(200);
    });
  });

  describe('POST /jobs with an Idempotency-Key', () => {
    it('returns the same job for a retried submission: same id, 202, Location', async () => {
      const key = randomUUID();
      const first = await submit(['Ada', 'Grace'], key);
      expect(first.status).toBe(202);
      const id = String(first.body['id']);
      expect(first.headers.get('location')).toBe(`/jobs/${id}`);

      const retry = await submit(['Ada', 'Grace'], key);
      expect(retry.status).toBe(202);
      expect(retry.headers.get('location')).toBe(`/jobs/${id}`);
      expect(retry.body).toMatchObject({ id, names: ['Ada', 'Grace'], createdAt: first.body['createdAt'] });
      // The structured-field form of the key ("...") is the same key.
      expect((await submit(['Ada', 'Grace'], `"${key}"`)).body['id']).toBe(id);

      // Without a key, every submission is a new job.
      const [a, b] = await Promise.all([submit(['Ada']), submit(['Ada'])]);
      expect(a!.status).toBe(202);
      expect(a!.body['id']).not.toBe(b!.body['id']);
      await waitFor('the job to finish', async () => (await http('GET', `/jobs/${id}`)).body['status'] === 'done', 30_000);
    });

    it('creates one job for concurrent retries with the same key (one etcd transaction)', async () => {
      const watch = new AbortController();
      const puts: Array<{ key: string; status: string; modRevision: number }> = [];
      let live = false;
      const watching = (async () => {
        for await (const message of watchPrefix(client, '/jobs/', { signal: watch.signal })) {
          // After the snapshot, every later write arrives.
          if (message.kind === 'snapshot') live = true;
          if (message.kind !== 'events') continue;
          for (const e of message.events) {
            if (e.type === 'put') puts.push({ key: e.kv.key, status: (JSON.parse(e.kv.value.toString()) as { status: string }).status, modRevision: e.kv.modRevision });
          }
        }
      })().catch(() => undefined);
      try {
        await waitFor('the watch to be live', () => live);
        const key = `retry-${randomUUID()}`;
        const answers = await Promise.all(Array.from({ length: 8 }, () => submit(['Linus'], key)));
        expect(answers.map((a) => a.status)).toEqual(answers.map(() => 202));
        const ids = new Set(answers.map((a) => a.body['id']));
        expect(ids.size).toBe(1);
        expect(new Set(answers.map((a) => a.body['createdAt'])).size).toBe(1);
        const jobKey = `/jobs/${String([...ids][0])}`;
        const stored = await client.kv.range({ key: Buffer.from(jobKey) });
        const modRevision = Number(stored.kvs[0]!.mod_revision);
        await waitFor('the watch to catch up', () => puts.some((p) => p.key === jobKey && p.modRevision >= modRevision));
        // One create (status queued); later puts are the worker claiming and processing it.
        expect(puts.filter((p) => p.key === jobKey && p.status === 'queued')).toHaveLength(1);
      } finally {
        watch.abort();
        await watching;
      }
    });

    it('answers the same key with other names with 422 and a clear message', async () => {
      const key = randomUUID();
      const first = await submit(['Ada'], key);
      expect(first.status).toBe(202);
      const other = await submit(['Bob'], key);
      expect(other.status).toBe(422);
      expect(other.headers.get('location')).toBeNull();
      expect(other.body).toEqual({
        statusCode: 422,
        error: 'UNPROCESSABLE_ENTITY',
        message: `Idempotency-Key "${key}" was already used for job ${String(first.body['id'])} with other names; use a new key for a new job`,
      });
    });

    it('validates the key', async () => {
      for (const [key, message] of [
        ['short', /idempotency-key: must be at least 8 characters/],
        ['k'.repeat(256), /idempotency-key: must be at most 255 characters/],
        ['has spaces in it', /idempotency-key: may contain only letters, digits/],
      ] as const) {
        const res = await submit(['Ada'], key);
        expect({ key, status: res.status }).toEqual({ key, status: 400 });
        expect(res.body).toEqual(errorShape(400, message));
      }
    });
  });

  describe('slow clients (slowloris-style, 20 concurrent connections on loopback)', () => {
    const COUNT = 20;

    it('cuts off clients that trickle their headers with 408 and a JSON body, and serves others meanwhile', async () => {
      const slow = Array.from({ length: COUNT }, (_, i) => slowClient(gatewayPort, `GET /hello?name=Ada HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-${i}: `, 'a'));
      // While they hold their connections, a normal client is still answered.
      const normal = await http('GET', '/hello?name=Grace');
      expect(normal.status).toBe(200);
      const results = await Promise.all(slow);
      for (const r of results) {
        expect(r.statusLine).toBe('HTTP/1.1 408 Request Timeout');
        expect(JSON.parse(r.body)).toEqual(errorShape(408, /did not arrive in time/));
        // Not refused at once: the client had its headers timeout (a lower bound only).
        expect(r.elapsedMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS / 2);
      }
      expect((await http('GET', '/hello?name=Linus')).status).toBe(200);
    });

    it('cuts off clients that send complete headers but trickle the body, with 408', async () => {
      const head = 'POST /jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"names":["';
      const results = await Promise.all(Array.from({ length: COUNT }, () => slowClient(gatewayPort, head, 'A')));
      for (const r of results) {
        expect(r.statusLine).toBe('HTTP/1.1 408 Request Timeout');
        expect(r.elapsedMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS / 2);
      }
      expect((await http('GET', '/hello?name=Ada')).status).toBe(200);
    });

    it('refuses a body above the 100 kB limit with 413 before reading it all', async () => {
      const res = await http('POST', '/jobs', { body: JSON.stringify({ names: Array.from({ length: 30_000 }, () => 'Ada') }) });
      expect(res.status).toBe(413);
      expect(res.body).toEqual(errorShape(413, /too large/i));
    });
  });
});
