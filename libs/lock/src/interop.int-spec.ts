import { createEtcdClient, Session, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster, spawnEtcdctl } from '@etcd-patterns/etcd-cluster';
import type { ChildProcess } from 'node:child_process';
import { Election } from './election';
import type { LeaderChange } from './leader-info';
import { Mutex } from './mutex';

jest.setTimeout(60_000);

/** stdout lines of a long-running etcdctl, with a way to wait for the next ones. */
class Output {
  readonly lines: string[] = [];
  private waiters: Array<() => void> = [];
  constructor(readonly child: ChildProcess) {
    let partial = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      partial += chunk.toString();
      const parts = partial.split('\n');
      partial = parts.pop()!;
      this.lines.push(...parts.filter((l) => l !== ''));
      for (const w of this.waiters.splice(0)) w();
    });
    child.stderr!.resume();
  }
  async waitForLines(count: number): Promise<string[]> {
    while (this.lines.length < count) await new Promise<void>((r) => this.waiters.push(r));
    return this.lines.slice(0, count);
  }
  exited(): Promise<number | null> {
    const c = this.child;
    if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(c.exitCode);
    return new Promise((r) => c.once('exit', (code) => r(code)));
  }
}

describe('interop with etcdctl 3.4 lock and elect', () => {
  let cluster: EtcdCluster;
  let etcd: Etcd3;
  const sessions: Session[] = [];
  const children: ChildProcess[] = [];
  const session = async (): Promise<Session> => {
    const s = await Session.create(etcd, { ttlSeconds: 10 });
    sessions.push(s);
    return s;
  };
  const etcdctl = (args: string[]): Output => {
    const child = spawnEtcdctl(cluster.endpoints, args);
    children.push(child);
    return new Output(child);
  };
  const keysUnder = async (prefix: string): Promise<string[]> => {
    const res = await etcd.getAll().prefix(prefix).sort('Create', 'Ascend').keys();
    return res;
  };
  const waitForKeys = async (prefix: string, count: number): Promise<string[]> => {
    for (;;) {
      const keys = await keysUnder(prefix);
      if (keys.length >= count) return keys;
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 1 });
    etcd = await createEtcdClient({ endpoints: cluster.endpoints });
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) {
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGKILL');
        await exited;
      }
    }
    await Promise.all(sessions.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    etcd?.close();
    await cluster?.close();
  });

  it('excludes etcdctl lock both ways, in queue order', async () => {
    const name = '/interop/lock';
    const ours = await new Mutex(await session(), name).lock();

    // etcdctl queues behind us: its key exists, it prints nothing until we unlock.
    const theirs = etcdctl(['lock', name]);
    const [, theirKey] = await waitForKeys(`${name}/`, 2);
    expect(theirs.lines).toEqual([]);
    await ours.unlock();
    expect(await theirs.waitForLines(1)).toEqual([theirKey]);

    // Now we queue behind etcdctl, and a second etcdctl queues behind us.
    const waiting = new Mutex(await session(), name).lock();
    await waitForKeys(`${name}/`, 2);
    const later = etcdctl(['lock', name]);
    const keys = await waitForKeys(`${name}/`, 3);
    theirs.child.kill('SIGINT'); // etcdctl deletes its key on SIGINT
    expect(await theirs.exited()).toBe(0);
    const next = await waiting;
    expect(next.key).toBe(keys[1]);
    expect(later.lines).toEqual([]);
    await next.unlock();
    expect(await later.waitForLines(1)).toEqual([keys[2]]);
    later.child.kill('SIGINT');
    await later.exited();
  });

  it('takes part in etcdctl elect elections both ways, and etcdctl observes our proclamations', async () => {
    const name = '/interop/elect';
    const election = new Election(await session(), name);
    const seen: LeaderChange[] = [];
    const stop = new AbortController();
    let onChange = (): void => undefined;
    const observing = (async () => {
      for await (const change of new Election(await session(), name).observe({ signal: stop.signal })) {
        seen.push(change);
        onChange();
      }
    })();
    const waitSeen = async (predicate: (c: LeaderChange) => boolean): Promise<LeaderChange> => {
      for (;;) {
        const found = seen.find(predicate);
        if (found) return found;
        await new Promise<void>((r) => (onChange = r));
      }
    };

    expect(await waitSeen(() => true)).toMatchObject({ leader: undefined });
    const leading = await election.campaign('ours-1');
    const listener = etcdctl(['elect', '-l', name]);
    expect(await listener.waitForLines(2)).toEqual([leading.key, 'ours-1']);
    await leading.proclaim('ours-2');
    expect(await listener.waitForLines(4)).toEqual([leading.key, 'ours-1', leading.key, 'ours-2']);

    const theirs = etcdctl(['elect', name, 'theirs']);
    const [, theirKey] = await waitForKeys(`${name}/`, 2);
    expect(theirs.lines).toEqual([]);
    expect((await election.leader())?.value).toBe('ours-2');
    await leading.resign();
    expect(await theirs.waitForLines(2)).toEqual([theirKey, 'theirs']);
    expect(await election.leader()).toMatchObject({ key: theirKey, value: 'theirs' });

    const again = election.campaign('ours-3');
    await waitForKeys(`${name}/`, 2);
    theirs.child.kill('SIGINT');
    const back = await again;
    expect(back.value).toBe('ours-3');
    await waitSeen((c) => c.leader?.value === 'ours-3');
    await back.resign();
    await waitSeen((c) => c.leader === undefined && c.revision > back.token);
    stop.abort();
    await observing;

    const values = seen.map((c) => c.leader?.value ?? null);
    expect(values).toEqual([null, 'ours-1', 'ours-2', 'theirs', 'ours-3', null]);
  });
});
