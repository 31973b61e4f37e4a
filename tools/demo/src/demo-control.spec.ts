import type { DemoView } from '@etcd-patterns/console-contract';
import { DemoControlError, DemoControlServer, type DemoControlTarget } from './demo-control';

/** An in-memory demo: two members and one app replica. */
function demo(): DemoControlTarget & { view(): Promise<DemoView> } {
  const members = new Map<string, DemoView['members'][number]['state']>([['m0', 'running'], ['m1', 'running']]);
  const apps = new Map<string, 'running' | 'stopped'>([['greeter-1', 'running']]);
  return {
    view: async () => ({ members: [...members].map(([name, state]) => ({ name, state })), apps: [...apps].map(([id, state]) => ({ id, app: 'greeter', state })) }),
    member: async (name, action) => {
      if (!members.has(name)) throw new DemoControlError(404, 'NOT_FOUND', `no etcd member ${name}`);
      members.set(name, action === 'pause' ? 'paused' : action === 'kill' ? 'stopped' : 'running');
    },
    app: async (id, action) => {
      if (!apps.has(id)) throw new DemoControlError(404, 'NOT_FOUND', `no app replica ${id}`);
      if (action === 'kill' && apps.get(id) === 'stopped') throw new DemoControlError(409, 'CONFLICT', `${id} is not running`);
      apps.set(id, action === 'kill' ? 'stopped' : 'running');
    },
  };
}

describe('DemoControlServer', () => {
  let server: DemoControlServer;
  beforeAll(async () => {
    server = await DemoControlServer.start({ target: demo() });
  });
  afterAll(() => server.close());

  const call = (method: string, path: string, token: string | null = server.token): Promise<Response> =>
    fetch(`${server.url}${path}`, { method, headers: token === null ? {} : { authorization: `Bearer ${token}` } });

  it('listens on loopback with a random token, and refuses requests without it', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.token).toMatch(/^[0-9a-f]{64}$/);
    expect((await call('GET', '/state', null)).status).toBe(401);
    expect((await call('GET', '/state', 'wrong')).status).toBe(401);
  });

  it('answers the state and acts on members and apps, with ApiError bodies for refusals', async () => {
    expect(await (await call('GET', '/state')).json()).toEqual({ members: [{ name: 'm0', state: 'running' }, { name: 'm1', state: 'running' }], apps: [{ id: 'greeter-1', app: 'greeter', state: 'running' }] });
    const paused = (await (await call('POST', '/members/m1/pause')).json()) as DemoView;
    expect(paused.members[1]).toEqual({ name: 'm1', state: 'paused' });
    expect(((await (await call('POST', '/apps/greeter-1/kill')).json()) as DemoView).apps[0]!.state).toBe('stopped');
    const again = await call('POST', '/apps/greeter-1/kill');
    expect([again.status, await again.json()]).toEqual([409, { error: { code: 'CONFLICT', message: 'greeter-1 is not running' } }]);
    expect((await call('POST', '/members/m9/kill')).status).toBe(404);
    expect((await call('POST', '/members/m0/explode')).status).toBe(404);
    expect((await call('GET', '/members/m0/pause')).status).toBe(405);
  });
});
