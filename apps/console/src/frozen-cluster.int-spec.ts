// Every member of a 3-member cluster frozen (SIGSTOP: connections stay open, nothing answers).
// A view makes several etcd calls in a row, each with its own deadline, so before the request
// deadline a page waited for a minute or more. Now each API request answers an error in bounded
// time, and the console answers normally once the members resume.
import 'reflect-metadata';
import type { ApiError, ServicesView } from '@etcd-patterns/console-contract';
import { createEtcdClient, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import { startTestConsole, type ConsoleClient, type TestConsole } from './testing/console-client';

jest.setTimeout(90_000);

describe('console API with every etcd member frozen', () => {
  let cluster: EtcdCluster;
  let etcd: Etcd3;
  let app: TestConsole;
  let api: ConsoleClient;

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 3 });
    etcd = await createEtcdClient({ endpoints: cluster.endpoints });
    await etcd.put('/services/frozen-demo/127.0.0.1:1').value(JSON.stringify({ Op: 0, Addr: '127.0.0.1:1' })).exec();
    app = await startTestConsole(cluster.endpoints, { CONSOLE_REQUEST_TIMEOUT_MS: '4000' });
    api = app.client();
    expect((await api.signIn('ada', 'secret-pass-123')).status).toBe(200);
    expect((await api.get('/api/services')).status).toBe(200);
  });

  afterAll(async () => {
    for (const member of cluster?.members ?? []) member.resume();
    await app?.close();
    etcd?.close();
    await cluster?.close();
  });

  it('answers each view with an error instead of waiting (504 at the request deadline, or 503 when etcd gave up first), then recovers', async () => {
    for (const member of cluster.members) member.pause();
    try {
      const answers = await Promise.all(['/api/services', '/api/cluster', '/api/locks', '/api/keys?prefix=/'].map((path) => api.get<ApiError>(path)));
      for (const answer of answers) {
        expect([503, 504]).toContain(answer.status);
        expect(answer.json.error.code).toMatch(/^ETCD_(DEADLINE_EXCEEDED|UNAVAILABLE)$/);
      }
      expect(answers.some((a) => a.status === 504)).toBe(true);
    } finally {
      for (const member of cluster.members) member.resume();
    }
    let services: ServicesView | undefined;
    for (let i = 0; i < 30 && services === undefined; i++) {
      const answer = await api.get<ServicesView>('/api/services');
      if (answer.status === 200) services = answer.json;
      else await new Promise((r) => setTimeout(r, 500));
    }
    expect(JSON.stringify(services)).toContain('frozen-demo');
  });
});
