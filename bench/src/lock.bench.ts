// Lock benchmarks, each against a reference measured in the same run:
// - uncontended lock/unlock cycles per second: our Mutex on one shared Session vs the npm
//   etcd3 Lock (a lease grant, put, and revoke per cycle);
// - the same cycles with the loop-lag guard (`stallGuard`) vs without;
// - hand-off latency with 16 waiters (unlock -> next holder's lock() resolves) vs one raw
//   etcd put + watch delivery, and vs the hand-off to an `etcdctl lock` waiter (Go's Mutex).
import { Session, watchPrefix } from '@etcd-patterns/etcd';
import { spawnEtcdctl } from '@etcd-patterns/etcd-cluster';
import { Mutex, type LockHandle } from '@etcd-patterns/lock';
import type { Etcd3 } from 'etcd3';
import { latencySummary, nowMs, type Benchmark, type BenchContext, type BenchRow } from './bench-kit';

const WAITERS = 16;

/**
 * Lock/unlock cycles per second with `parallel` loops on distinct names (no contention), ours
 * on one shared Session, etcd3's with its lease per lock. Rounds alternate between the two so
 * that drift in the machine's load affects both alike.
 */
async function uncontended(ctx: BenchContext, client: Etcd3, parallel: number): Promise<BenchRow> {
  const cycles = Math.max(40, Math.round(1000 * ctx.scale));
  const rounds = 8;
  const session = await Session.create(client, { ttlSeconds: 30 });
  try {
    const mutexes = Array.from({ length: parallel }, (_, i) => new Mutex(session, `/bench/lock/ours-${parallel}-${i}`));
    const theirNames = Array.from({ length: parallel }, (_, i) => `/bench/lock/etcd3-${parallel}-${i}`);
    const ours = async (i: number, n: number): Promise<void> => {
      for (let c = 0; c < n; c++) await (await mutexes[i]!.lock()).unlock();
    };
    const theirs = async (i: number, n: number): Promise<void> => {
      for (let c = 0; c < n; c++) {
        const l = client.lock(theirNames[i]!);
        await l.acquire();
        await l.release();
      }
    };
    const timed = async (loop: (i: number, n: number) => Promise<void>, n: number): Promise<number> => {
      const start = nowMs();
      await Promise.all(Array.from({ length: parallel }, (_, i) => loop(i, n)));
      return nowMs() - start;
    };
    await timed(ours, 5); // warm-up: connections, JIT
    await timed(theirs, 5);
    let oursMs = 0;
    let theirsMs = 0;
    const perRound = Math.ceil(cycles / rounds / parallel);
    for (let r = 0; r < rounds; r++) {
      oursMs += await timed(ours, perRound);
      theirsMs += await timed(theirs, perRound);
    }
    const total = perRound * rounds * parallel;
    return {
      bench: 'lock',
      metric: parallel === 1 ? 'uncontended lock+unlock cycles' : `uncontended lock+unlock cycles, ${parallel} names in parallel`,
      unit: 'ops/s',
      ours: { rate: (total / oursMs) * 1000 },
      reference: { rate: (total / theirsMs) * 1000 },
      referenceName: 'etcd3 Lock acquire+release',
      target: '>= 1.5x',
    };
  } finally {
    await session.close();
  }
}

/**
 * The loop-lag guard's cost: uncontended cycles (lock, `assertHeld()`, unlock) on a session with
 * `stallGuard: true` vs one without, rounds alternating between the two.
 */
async function stallGuardCost(ctx: BenchContext, client: Etcd3): Promise<BenchRow> {
  const cycles = Math.max(40, Math.round(1000 * ctx.scale));
  const rounds = 10;
  const guarded = await Session.create(client, { ttlSeconds: 30, stallGuard: true });
  const plain = await Session.create(client, { ttlSeconds: 30 });
  try {
    const loop = async (session: Session, name: string, n: number): Promise<number> => {
      const mutex = new Mutex(session, name);
      const start = nowMs();
      for (let c = 0; c < n; c++) {
        const handle = await mutex.lock();
        handle.assertHeld();
        await handle.unlock();
      }
      return nowMs() - start;
    };
    await loop(guarded, '/bench/lock/guarded', 5);
    await loop(plain, '/bench/lock/plain', 5);
    const perRound = Math.ceil(cycles / rounds);
    let guardedMs = 0;
    let plainMs = 0;
    for (let r = 0; r < rounds; r++) {
      guardedMs += await loop(guarded, '/bench/lock/guarded', perRound);
      plainMs += await loop(plain, '/bench/lock/plain', perRound);
    }
    const total = perRound * rounds;
    return {
      bench: 'lock',
      metric: 'uncontended cycles with the loop-lag guard (stallGuard) vs without',
      unit: 'ops/s',
      ours: { rate: (total / guardedMs) * 1000 },
      reference: { rate: (total / plainMs) * 1000 },
      referenceName: 'same cycles, no guard',
      target: '>= 0.98x',
    };
  } finally {
    await Promise.all([guarded.close(), plain.close()]);
  }
}

/** Time from a raw put to its watch event, the floor of any watch-based hand-off. */
async function putToWatch(ctx: BenchContext, client: Etcd3): Promise<number[]> {
  const samples = Math.max(20, Math.round(300 * ctx.scale));
  const prefix = '/bench/lock/raw/';
  const abort = new AbortController();
  const arrivals = new Map<string, () => void>();
  const iterator = watchPrefix(client, prefix, { signal: abort.signal })[Symbol.asyncIterator]();
  await iterator.next();
  const pump = (async () => {
    for (;;) {
      const { value, done } = await iterator.next();
      if (done) return;
      if (value.kind === 'events') for (const e of value.events) arrivals.get(e.kv.key)?.();
    }
  })();
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const key = `${prefix}${i}`;
    const arrived = new Promise<void>((resolve) => arrivals.set(key, resolve));
    const start = nowMs();
    await client.put(key).value('v').exec();
    await arrived;
    out.push(nowMs() - start);
    arrivals.delete(key);
  }
  abort.abort();
  await pump;
  return out;
}

/** Unlock -> next waiter holds, with WAITERS sessions queued on one name. */
async function handOff(ctx: BenchContext, client: Etcd3): Promise<number[]> {
  const samples = Math.max(20, Math.round(300 * ctx.scale));
  const name = '/bench/lock/handoff';
  const sessions = await Promise.all(Array.from({ length: WAITERS }, () => Session.create(client, { ttlSeconds: 30 })));
  const out: number[] = [];
  try {
    const mutexes = sessions.map((s) => new Mutex(s, name));
    let holder = await mutexes[0]!.lock();
    let holderIndex = 0;
    const pending = new Map<number, Promise<{ handle: LockHandle; at: number }>>();
    const enqueue = async (i: number): Promise<void> => {
      pending.set(i, mutexes[i]!.lock().then((handle) => ({ handle, at: nowMs() })));
      // Wait until the waiter's key exists so queue order is deterministic.
      while (!(await client.get(mutexes[i]!.key).exists())) await new Promise((r) => setImmediate(r));
    };
    for (let i = 1; i < WAITERS; i++) await enqueue(i);
    for (let n = 0; n < samples; n++) {
      const nextIndex = (holderIndex + 1) % WAITERS;
      const start = nowMs();
      await holder.unlock();
      const { handle, at } = await pending.get(nextIndex)!;
      out.push(at - start);
      pending.delete(nextIndex);
      await enqueue(holderIndex); // the old holder queues again at the back
      holder = handle;
      holderIndex = nextIndex;
    }
    await holder.unlock();
    for (const p of pending.values()) await (await p).handle.unlock();
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
  }
  return out;
}

/** Our unlock -> an `etcdctl lock` waiter (Go's concurrency.Mutex) prints that it holds the lock. */
async function handOffToEtcdctl(ctx: BenchContext, client: Etcd3): Promise<number[]> {
  const samples = Math.max(10, Math.round(40 * ctx.scale));
  const name = '/bench/lock/etcdctl';
  const session = await Session.create(client, { ttlSeconds: 30 });
  const mutex = new Mutex(session, name);
  const out: number[] = [];
  try {
    for (let n = 0; n < samples; n++) {
      const held = await mutex.lock();
      const child = spawnEtcdctl(ctx.cluster.endpoints, ['lock', name]);
      const exited = new Promise((r) => child.once('exit', r));
      const printed = new Promise<number>((resolve) => child.stdout!.once('data', () => resolve(nowMs())));
      child.stderr!.resume();
      while ((await client.getAll().prefix(`${name}/`).keys()).length < 2) await new Promise((r) => setTimeout(r, 2));
      const start = nowMs();
      await held.unlock();
      out.push((await printed) - start);
      child.kill('SIGINT');
      await exited;
    }
  } finally {
    await session.close();
  }
  return out;
}

const bench: Benchmark = {
  name: 'lock',
  async run(ctx) {
    const client = await ctx.client();
    const rows: BenchRow[] = [
      await uncontended(ctx, client, 1),
      await uncontended(ctx, client, 8),
      await stallGuardCost(ctx, client),
    ];
    const raw = latencySummary(await putToWatch(ctx, client));
    const ours = latencySummary(await handOff(ctx, client));
    const toEtcdctl = latencySummary(await handOffToEtcdctl(ctx, client));
    rows.push(
      {
        bench: 'lock',
        metric: `hand-off, ${WAITERS} waiters (unlock -> next holder)`,
        unit: 'ms',
        ours,
        reference: raw,
        referenceName: 'raw put + watch delivery',
        target: 'p50 <= 3x (one delete, one event, one linearizable queue read)',
      },
      {
        bench: 'lock',
        metric: 'hand-off: ours -> ours vs ours -> etcdctl lock',
        unit: 'ms',
        ours,
        reference: toEtcdctl,
        referenceName: 'etcdctl lock waiter (Go Mutex, incl. stdout pipe)',
        target: '<= 1x',
      },
    );
    return rows;
  },
};

export default bench;
