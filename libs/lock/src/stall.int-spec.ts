import { createEtcdClient, Session, SessionLostError, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster, spawnEtcdctl } from '@etcd-patterns/etcd-cluster';
import type { ChildProcess } from 'node:child_process';
import { Election } from './election';
import { isLockError } from './errors';
import type { LockHandle } from './lock-handle';
import { Mutex } from './mutex';
import { withLock } from './with-lock';
import { runAsLeader } from './run-as-leader';

jest.setTimeout(60_000);

// A synchronous job that keeps the event loop busy: no timer, no I/O callback runs meanwhile.
function blockEventLoop(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

const TTL_SECONDS = 2;
// Longer than the TTL: etcd expires the lease meanwhile and the rival takes over.
const STALL_MS = TTL_SECONDS * 1000 + 2500;

/** The first stdout line of a long-running etcdctl (`lock`/`elect` print it once they own). */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stderr!.resume();
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`etcdctl exited (${code}) before owning`)));
  });
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('ownership after a stalled event loop (real etcd, real stall)', () => {
  let cluster: EtcdCluster;
  let etcd: Etcd3;
  const sessions: Session[] = [];
  const children: ChildProcess[] = [];
  const session = async (options: { ttlSeconds?: number; stallGuard?: boolean } = {}): Promise<Session> => {
    const s = await Session.create(etcd, { ttlSeconds: TTL_SECONDS, ...options });
    sessions.push(s);
    return s;
  };
  const rival = (args: string[]): ChildProcess => {
    const child = spawnEtcdctl(cluster.endpoints, args);
    children.push(child);
    return child;
  };
  const waitForKeys = async (prefix: string, count: number): Promise<void> => {
    while ((await etcd.getAll().prefix(prefix).keys()).length < count) await new Promise((r) => setTimeout(r, 10));
  };

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 1 });
    etcd = await createEtcdClient({ endpoints: cluster.endpoints });
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGINT');
        await new Promise((r) => c.once('exit', r));
      }
    }
    await Promise.all(sessions.splice(0).map((s) => s.close().catch(() => undefined)));
  });
  afterAll(async () => {
    etcd?.close();
    await cluster?.close();
  });

  it('a Mutex holder: held is false on the first read, lost has fired, assertHeld throws, etcdctl holds', async () => {
    const name = '/stall/mutex';
    const s = await session();
    // A listener of the session's own signal, registered before anything of the lock: it runs
    // first, and must already see the lock as lost.
    const ref: { handle?: LockHandle } = {};
    let heldInListener: boolean | undefined;
    s.lost.addEventListener('abort', () => (heldInListener = ref.handle?.held));
    const handle = await new Mutex(s, name).lock();
    ref.handle = handle;
    const lost = handle.lost; // a reference kept from before the stall
    expect(handle.held).toBe(true);
    const etcdctl = rival(['lock', name]);
    const owns = firstLine(etcdctl);
    await waitForKeys(`${name}/`, 2);

    blockEventLoop(STALL_MS);
    // First reads, in the same tick as the end of the stall: no timer has run yet.
    const heldAfter = handle.held;
    const lostAfter = lost.aborted;
    const remaining = s.remainingMs();
    const assertion = thrown(() => handle.assertHeld());

    expect(heldAfter).toBe(false);
    expect(lostAfter).toBe(true);
    expect(remaining).toBe(0);
    expect(isLockError(assertion, 'LOCK_LOST')).toBe(true);
    expect((assertion as Error).cause).toBeInstanceOf(SessionLostError);
    expect((lost.reason as SessionLostError).reason).toBe('deadline');
    expect(heldInListener).toBe(false);
    expect(await owns).toMatch(new RegExp(`^${name}/`));
  });

  it("withLock: fn's signal is aborted on its first read after the stall", async () => {
    const s = await session();
    let abortedAfterStall: boolean | undefined;
    const run = withLock(s, '/stall/with-lock', (_handle, signal) => {
      blockEventLoop(STALL_MS);
      abortedAfterStall = signal.aborted;
    });
    await run.catch(() => undefined); // the unlock of a lost lock may fail; the check is above
    expect(abortedAfterStall).toBe(true);
  });

  it('an Election leader: held is false on the first read, assertHeld throws, etcdctl elect leads', async () => {
    const name = '/stall/election';
    const s = await session();
    const leadership = await new Election(s, name).campaign('ours');
    expect(leadership.held).toBe(true);
    const etcdctl = rival(['elect', name, 'rival']);
    const leads = firstLine(etcdctl);
    await waitForKeys(`${name}/`, 2);

    blockEventLoop(STALL_MS);
    const heldAfter = leadership.held;
    const assertion = thrown(() => leadership.assertHeld());

    expect(heldAfter).toBe(false);
    expect(leadership.lost.aborted).toBe(true);
    expect(isLockError(assertion, 'ELECTION_LOST')).toBe(true);
    expect(await leads).toMatch(new RegExp(`^${name}/`));
  });

  it("runAsLeader: the task's signal is aborted on its first read after the stall, so it does no work", async () => {
    const name = '/stall/run-as-leader';
    const stop = new AbortController();
    const seen: { abortedAfterStall?: boolean; workAfterStall: number } = { workAfterStall: 0 };
    let leading!: () => void;
    const isLeading = new Promise<void>((r) => (leading = r));
    let stallNow!: () => void;
    const stallRequested = new Promise<void>((r) => (stallNow = r));
    const loop = runAsLeader(
      () => session(),
      name,
      'ours',
      async (_leadership, signal) => {
        leading();
        await stallRequested;
        blockEventLoop(STALL_MS);
        seen.abortedAfterStall = signal.aborted;
        // A task that checks its signal before each unit of work:
        while (!signal.aborted) {
          seen.workAfterStall++;
          await new Promise((r) => setTimeout(r, 10));
        }
      },
      { signal: stop.signal, retryDelayMs: 60_000 },
    );
    await isLeading;
    const etcdctl = rival(['elect', name, 'rival']);
    const leads = firstLine(etcdctl);
    await waitForKeys(`${name}/`, 2);
    stallNow();
    expect(await leads).toMatch(new RegExp(`^${name}/`));
    stop.abort();
    await loop;
    expect(seen.abortedAfterStall).toBe(true);
    expect(seen.workAfterStall).toBe(0);
  });

  it('a short stall well inside the TTL changes nothing (with and without the loop-lag guard)', async () => {
    for (const stallGuard of [false, true]) {
      const s = await session({ ttlSeconds: 10, stallGuard });
      const handle = await new Mutex(s, `/stall/short-${stallGuard}`).lock();
      blockEventLoop(1000);
      expect(handle.held).toBe(true);
      expect(s.lost.aborted).toBe(false);
      // Several keepalive rounds later (every TTL/3), still held.
      await new Promise((r) => setTimeout(r, 4000));
      expect(handle.held).toBe(true);
      handle.assertHeld();
      await handle.unlock();
      expect(isLockError(thrown(() => handle.assertHeld()), 'LOCK_NOT_HELD')).toBe(true);
    }
  });

  it('with the loop-lag guard, lost fires by itself (reason stalled) as soon as the loop runs again', async () => {
    const s = await session({ stallGuard: true });
    const handle = await new Mutex(s, '/stall/guard').lock();
    let firedBeforeAnyRead: SessionLostError | undefined;
    s.lost.addEventListener('abort', (event) => {
      firedBeforeAnyRead = (event.target as AbortSignal).reason as SessionLostError;
    });
    blockEventLoop(STALL_MS);
    // No read of held/lost here: the guard's tick, due long before the session's deadline
    // timer, is what notices.
    await new Promise((r) => setTimeout(r, 50));
    expect(firedBeforeAnyRead?.reason).toBe('stalled');
    expect(handle.held).toBe(false);
  });
});
