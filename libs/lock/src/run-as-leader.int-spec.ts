import { createEtcdClient, Session, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import type { Leadership } from './leadership';
import { runAsLeader } from './run-as-leader';

jest.setTimeout(60_000);

describe('runAsLeader (1-member cluster)', () => {
  let cluster: EtcdCluster;
  let etcd: Etcd3;
  const sessions: Session[] = [];
  const newSession = async (ttlSeconds = 10): Promise<Session> => {
    const s = await Session.create(etcd, { ttlSeconds });
    sessions.push(s);
    return s;
  };

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 1 });
    etcd = await createEtcdClient({ endpoints: cluster.endpoints });
  });
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
    etcd?.close();
    await cluster?.close();
  });

  it('runs the task on one runner at a time, hands over when the leader session is lost, and stops on abort', async () => {
    const events: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const started: Array<() => void> = [];
    const whenStarted = (): Promise<void> => new Promise((r) => started.push(r));
    const task =
      (who: string) =>
      async (leadership: Leadership, signal: AbortSignal): Promise<void> => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        events.push(`${who} leads (${leadership.value})`);
        started.shift()?.();
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        events.push(`${who} stops`);
        running--;
      };

    const sessionsOfA: Session[] = [];
    const stopA = new AbortController();
    const stopB = new AbortController();
    const errorsOfA: unknown[] = [];
    const firstTerm = whenStarted();
    const runnerA = runAsLeader(
      async () => {
        const s = await newSession(2);
        sessionsOfA.push(s);
        return s;
      },
      '/run/leader',
      'a',
      task('a'),
      { signal: stopA.signal, onError: (e) => errorsOfA.push(e), retryDelayMs: 50 },
    );
    await firstTerm;
    const sessionOfB = await newSession();
    const secondTerm = whenStarted();
    const runnerB = runAsLeader(sessionOfB, '/run/leader', 'b', task('b'), { signal: stopB.signal, retryDelayMs: 50 });

    sessionsOfA[0]!.abandon(); // a's term ends at once on its side; b wins once the lease expires
    await secondTerm;
    expect(events.slice(0, 3)).toEqual(['a leads (a)', 'a stops', 'b leads (b)']);
    expect(errorsOfA).toEqual([expect.objectContaining({ code: 'SESSION_LOST' })]);

    const thirdTerm = whenStarted();
    stopB.abort(); // b resigns; a (on a new session) takes over
    await runnerB;
    await thirdTerm;
    expect(events.slice(3)).toEqual(['b stops', 'a leads (a)']);
    expect(sessionsOfA).toHaveLength(2);
    stopA.abort();
    await runnerA;
    expect(events.at(-1)).toBe('a stops');
    expect(maxRunning).toBe(1);
    expect(await etcd.getAll().prefix('/run/leader/').keys()).toEqual([]);
    // Sessions from the factory are closed by runAsLeader; a borrowed one is left alone.
    expect(sessionsOfA.map((s) => (s.lost.reason as { reason: string }).reason)).toEqual(['abandoned', 'closed']);
    expect(sessionOfB.lost.aborted).toBe(false);
  });

  it('rejects a bad name, and ends when a borrowed session is lost', async () => {
    const s = await newSession();
    await expect(runAsLeader(s, '', 'v', () => undefined)).rejects.toMatchObject({ code: 'LOCK_INVALID_NAME' });
    let abortedWithSession: boolean | undefined;
    const ended = runAsLeader(s, '/run/lost', 'v', async (_leadership, signal) => {
      s.abandon();
      abortedWithSession = signal.aborted;
    });
    await expect(ended).rejects.toMatchObject({ code: 'ELECTION_SESSION_EXPIRED' });
    expect(abortedWithSession).toBe(true);
  });
});
