import { createEtcdClient, Session, SessionLostError, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster, etcdctl } from '@etcd-patterns/etcd-cluster';
import { isLockError, LockError } from './errors';
import type { LockHandle } from './lock-handle';
import { Mutex } from './mutex';
import { withLock } from './with-lock';

jest.setTimeout(60_000);

/** Resolves when `signal` fires. */
const fired = (signal: AbortSignal): Promise<unknown> =>
  new Promise((resolve) => (signal.aborted ? resolve(signal.reason) : signal.addEventListener('abort', () => resolve(signal.reason))));

/** Settles state of a promise without awaiting it. */
function track<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  return { promise, settled: () => done };
}

describe('Mutex (1-member cluster)', () => {
  let cluster: EtcdCluster;
  let etcd: Etcd3;
  const clients: Etcd3[] = [];
  const sessions: Session[] = [];
  let n = 0;
  const name = (): string => `/test/mutex/${++n}`;
  const client = async (): Promise<Etcd3> => {
    const c = await createEtcdClient({ endpoints: cluster.endpoints });
    clients.push(c);
    return c;
  };
  const session = async (options: { ttlSeconds?: number; own?: boolean } = {}): Promise<Session> => {
    const s = await Session.create(options.own ? await client() : etcd, { ttlSeconds: options.ttlSeconds ?? 10 });
    sessions.push(s);
    return s;
  };
  const keysUnder = async (prefix: string): Promise<string[]> => Object.keys(await etcd.getAll().prefix(prefix).strings());

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 1 });
    etcd = await createEtcdClient({ endpoints: cluster.endpoints });
  });
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.close().catch(() => undefined)));
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    etcd?.close();
    await cluster?.close();
  });

  it('locks with the Go key layout and a create-revision token, and unlocks idempotently', async () => {
    const s = await session();
    const lockName = name();
    const mutex = new Mutex(s, lockName);
    expect(mutex.key).toBe(`${lockName}/${s.leaseIdHex}`);
    const held = await mutex.lock();
    expect(held.key).toBe(mutex.key);
    expect(held.held).toBe(true);
    const res = await etcd.kv.range({ key: Buffer.from(held.key) });
    const kv = res.kvs[0]!;
    expect(kv.value.toString()).toBe('');
    expect(String(kv.lease)).toBe(s.leaseId);
    expect(held.token).toBe(Number(kv.create_revision));

    await held.unlock();
    await held.unlock();
    await held[Symbol.asyncDispose]();
    expect(held.held).toBe(false);
    expect(held.lost.aborted).toBe(false);
    expect(await keysUnder(`${lockName}/`)).toEqual([]);

    {
      await using again = await mutex.lock();
      expect(again.token).toBeGreaterThan(held.token);
    }
    expect(await keysUnder(`${lockName}/`)).toEqual([]);
  });

  it('tryLock returns undefined while another session holds the lock and leaves no key behind', async () => {
    const [a, b] = [await session(), await session()];
    const lockName = name();
    const held = (await new Mutex(a, lockName).tryLock())!;
    expect(held).toBeDefined();
    expect(await new Mutex(b, lockName).tryLock()).toBeUndefined();
    expect(await keysUnder(`${lockName}/`)).toEqual([held.key]);
    await held.unlock();
    const next = await new Mutex(b, lockName).tryLock();
    expect(next?.token).toBeGreaterThan(held.token);
    await next!.unlock();
  });

  it('serves many waiters in FIFO order, and a release wakes only the next one', async () => {
    const lockName = name();
    const holder = await new Mutex(await session(), lockName).lock();
    const waiters: Array<{ calls: () => number; lock: ReturnType<typeof track<LockHandle>> }> = [];
    for (let i = 0; i < 8; i++) {
      const c = await client();
      // Count every transaction (queue reads included) the waiter's client sends.
      let calls = 0;
      const txn = c.kv.txn.bind(c.kv);
      c.kv.txn = (...args: Parameters<typeof txn>) => {
        calls++;
        return txn(...args);
      };
      const s = await Session.create(c, { ttlSeconds: 10 });
      sessions.push(s);
      const lock = track(new Mutex(s, lockName).lock());
      // Queue position is the create revision: make sure this waiter is queued (its enqueue
      // transaction and its first queue read are done) before the next one starts.
      while (calls < 2) await new Promise((r) => setTimeout(r, 5));
      waiters.push({ calls: () => calls, lock });
    }
    const callsBefore = waiters.map((w) => w.calls());
    await holder.unlock();

    const order: number[] = [];
    let previous = holder;
    for (let i = 0; i < waiters.length; i++) {
      const handle = await waiters[i]!.lock.promise;
      order.push(i);
      expect(handle.token).toBeGreaterThan(previous.token);
      // Only waiter i woke: the others sent nothing since the last release (except the previous
      // holder, whose client sent the unlock), and are still pending.
      const woke = waiters.map((w, j) => (j !== i - 1 && w.calls() > callsBefore[j]! ? j : -1)).filter((j) => j >= 0);
      expect(woke).toEqual([i]);
      expect(waiters.filter((w) => w.lock.settled()).length).toBe(i + 1);
      callsBefore.splice(0, callsBefore.length, ...waiters.map((w) => w.calls()));
      previous = handle;
      await handle.unlock();
    }
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('rejects a waiter whose key vanished while it waited (etcd issue 11456), never reports success', async () => {
    const lockName = name();
    const holder = await new Mutex(await session(), lockName).lock();
    const waiterSession = await session();
    const waiter = new Mutex(waiterSession, lockName);
    const pending = track(waiter.lock());
    while ((await keysUnder(`${lockName}/`)).length < 2) await new Promise((r) => setImmediate(r));
    // The server drops the waiter's key behind the client's back (as a lease expiry would).
    await etcd.delete().key(waiter.key).exec();
    await holder.unlock();
    await expect(pending.promise).rejects.toMatchObject({ code: 'LOCK_SESSION_EXPIRED' });
    expect(waiterSession.lost.aborted).toBe(false);
  });

  it('rejects a waiter whose lease expires while it waits', async () => {
    const lockName = name();
    const holder = await new Mutex(await session(), lockName).lock();
    const abandoned = await session({ ttlSeconds: 2 });
    const revoked = await session({ ttlSeconds: 2 });
    const first = track(new Mutex(abandoned, lockName).lock());
    const second = track(new Mutex(revoked, lockName).lock());
    while ((await keysUnder(`${lockName}/`)).length < 3) await new Promise((r) => setImmediate(r));

    abandoned.abandon(); // keepalives stop: the session gives up on its own clock
    expect((await etcdctl(cluster.endpoints, ['lease', 'revoke', revoked.leaseIdHex])).code).toBe(0);
    const errors = await Promise.all([first.promise.catch((e: unknown) => e), second.promise.catch((e: unknown) => e)]);
    for (const error of errors) {
      expect(error).toBeInstanceOf(LockError);
      expect(error).toMatchObject({ code: 'LOCK_SESSION_EXPIRED' });
    }
    expect((errors[0] as LockError).cause).toBeInstanceOf(SessionLostError);
    // The revoked waiter learns it either from its session or by finding its key gone.
    // Nothing of theirs stays queued once the abandoned lease runs out.
    expect(holder.held).toBe(true);
    await holder.unlock();
  });

  it('removes the waiter key when the wait is aborted', async () => {
    const lockName = name();
    const holder = await new Mutex(await session(), lockName).lock();
    const abort = new AbortController();
    const waiter = new Mutex(await session(), lockName);
    const pending = waiter.lock({ signal: abort.signal });
    while ((await keysUnder(`${lockName}/`)).length < 2) await new Promise((r) => setImmediate(r));
    abort.abort(new Error('changed my mind'));
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await keysUnder(`${lockName}/`)).toEqual([holder.key]);
    await expect(waiter.lock({ signal: abort.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    await holder.unlock();
  });

  it('cleans up a key whose create was still in flight when the wait was aborted', async () => {
    const lockName = name();
    const holder = await new Mutex(await session(), lockName).lock();
    const abort = new AbortController();
    const pending = new Mutex(await session(), lockName).lock({ signal: abort.signal });
    abort.abort(); // the enqueue transaction is on the wire: its outcome decides the clean-up
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
    for (;;) {
      const keys = await keysUnder(`${lockName}/`);
      if (keys.length === 1) {
        expect(keys).toEqual([holder.key]);
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await holder.unlock();
  });

  it('fires lost when the key is deleted by someone else or the session ends', async () => {
    const lockName = name();
    const s = await session();
    const held = await new Mutex(s, lockName).lock();
    await etcdctl(cluster.endpoints, ['del', held.key]);
    const reason = await fired(held.lost);
    expect(isLockError(reason, 'LOCK_LOST')).toBe(true);
    await expect(held.fencedTxn(etcd.put(`${lockName}-data`).value('x'))).rejects.toMatchObject({ code: 'LOCK_NOT_HELD' });
    await held.unlock(); // safe after loss

    const again = await new Mutex(s, lockName).lock();
    s.abandon();
    expect(again.lost.aborted).toBe(true); // synchronously with the session
    expect(again.lost.reason).toBeInstanceOf(SessionLostError);
    await again.unlock();
    await expect(new Mutex(s, lockName).lock()).rejects.toMatchObject({ code: 'LOCK_SESSION_EXPIRED' });
    await etcd.leaseClient.leaseRevoke({ ID: s.leaseId });
  });

  it('fences writes: applied while held, refused by etcd once the key is gone', async () => {
    const lockName = name();
    const held = await new Mutex(await session(), lockName).lock();
    const res = await held.fencedTxn(etcd.put(`${lockName}-data`).value('1'));
    expect(res.succeeded).toBe(true);
    const viaBuilder = await held.txn().then(etcd.put(`${lockName}-data`).value('2')).commit();
    expect(viaBuilder.succeeded).toBe(true);

    // Delete the key and use the guard before the watch can tell the handle: etcd refuses.
    await etcd.delete().key(held.key).exec();
    const raw = await etcd.kv.txn({ compare: [held.compare()], success: [{ request_put: { key: Buffer.from(`${lockName}-data`), value: Buffer.from('3') } }] });
    expect(raw.succeeded).toBe(false);
    expect(await etcd.get(`${lockName}-data`).string()).toBe('2');
    await fired(held.lost);
    await held.unlock();
  });

  it('lets one session hold a name once: a second lock() on the same session waits', async () => {
    const lockName = name();
    const s = await session();
    const first = await new Mutex(s, lockName).lock();
    const second = track(new Mutex(s, lockName).lock());
    const third = await new Mutex(s, lockName).tryLock();
    expect(third).toBeUndefined();
    expect(second.settled()).toBe(false);
    await first.unlock();
    const handle = await second.promise;
    expect(handle.token).toBeGreaterThan(first.token);
    expect(first.lost.aborted).toBe(false);
    await handle.unlock();
  });

  it('withLock runs the function under the lock and always releases it', async () => {
    const lockName = name();
    const s = await session();
    let seen: AbortSignal | undefined;
    const result = await withLock(s, lockName, async (handle, signal) => {
      seen = signal;
      expect(await keysUnder(`${lockName}/`)).toEqual([handle.key]);
      expect(signal.aborted).toBe(false);
      return handle.token;
    });
    expect(typeof result).toBe('number');
    expect(seen?.aborted).toBe(true);
    expect(await keysUnder(`${lockName}/`)).toEqual([]);

    await expect(
      withLock(s, lockName, () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await keysUnder(`${lockName}/`)).toEqual([]);
  });

  it('rejects bad names with LOCK_INVALID_NAME before any I/O', async () => {
    const s = await session();
    for (const bad of ['', 'trailing/', 'new\nline']) {
      expect(() => new Mutex(s, bad)).toThrow(expect.objectContaining({ code: 'LOCK_INVALID_NAME' }) as Error);
    }
    await expect(withLock(s, '', () => 1)).rejects.toMatchObject({ code: 'LOCK_INVALID_NAME' });
  });
});
