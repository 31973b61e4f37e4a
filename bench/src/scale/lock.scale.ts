// Lock at scale:
// - 10 / 100 / 1,000 lock names in parallel: uncontended lock+unlock cycles/s, our Mutex on one
//   shared Session against the npm etcd3 Lock (a lease grant, put and revoke per cycle), rounds
//   alternating between the two; etcd requests per cycle counted on each side's client.
// - hand-off with 16 / 128 waiters queued on one name: per release, the etcd requests, watch
//   streams created and waiters woken (a watch stream that receives a delete event), counted on
//   the client's connection pool; against a naive "herd" lock in which every waiter watches the
//   whole queue prefix and re-reads the queue on every delete (the thundering herd our Mutex
//   avoids by watching only its predecessor, as Go's concurrency.Mutex does).
import { prefixRangeEnd, Session, watchPrefix } from '@etcd-patterns/etcd';
import { Mutex, type LockHandle } from '@etcd-patterns/lock';
import type { Etcd3 } from 'etcd3';
import { latencySummary, nowMs } from '../bench-kit';
import type { ScaleContext, ScaleCurve, ScalePoint, ScaleSuite } from './curve';

/** Counts what a client sends: unary calls (exec) and watch streams, with their delete deliveries. */
interface Counter {
  requests: number;
  inflight: number;
  watchesCreated: number;
  watchesOpen: number;
  /** Watch responses that carried at least one delete event: a waiter woken. */
  woken: number;
  /** Resolves when `predicate` holds (checked after every counted change), or rejects after 20 s. */
  until(predicate: () => boolean): Promise<void>;
}

interface Pool {
  exec: (...args: unknown[]) => Promise<unknown>;
  withConnection: (service: unknown, fn: (args: unknown) => unknown) => Promise<unknown>;
}

interface RawStream {
  on(event: 'data', listener: (res: { created?: boolean; events?: Array<{ type?: string | number }> }) => void): void;
  cancel(): void;
}

function instrument(client: Etcd3): Counter {
  const pool = (client as unknown as { pool: Pool }).pool;
  const waiting: Array<{ predicate: () => boolean; resolve: () => void }> = [];
  const changed = (): void => {
    for (let i = waiting.length - 1; i >= 0; i--) {
      if (waiting[i]!.predicate()) waiting.splice(i, 1)[0]!.resolve();
    }
  };
  const counter: Counter = {
    requests: 0,
    inflight: 0,
    watchesCreated: 0,
    watchesOpen: 0,
    woken: 0,
    until(predicate) {
      if (predicate()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const entry = { predicate, resolve: () => (clearTimeout(timer), resolve()) };
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(entry), 1);
          reject(new Error(`lock scale: counter condition not reached in 20 s (${JSON.stringify({ ...counter, until: undefined })})`));
        }, 20_000);
        waiting.push(entry);
      });
    },
  };
  const exec = pool.exec.bind(pool);
  pool.exec = async (...args: unknown[]) => {
    counter.requests++;
    counter.inflight++;
    try {
      return await exec(...args);
    } finally {
      counter.inflight--;
      changed();
    }
  };
  const withConnection = pool.withConnection.bind(pool);
  pool.withConnection = (service, fn) =>
    withConnection(service, (args) => {
      const stream = fn(args) as RawStream;
      if (service === 'Watch' && stream && typeof stream.on === 'function') {
        counter.watchesOpen++;
        let open = true;
        stream.on('data', (res) => {
          if (res.created) counter.watchesCreated++;
          if ((res.events ?? []).some((e) => e.type === 'Delete' || String(e.type) === 'DELETE' || e.type === 1)) counter.woken++;
          changed();
        });
        const cancel = stream.cancel.bind(stream);
        stream.cancel = () => {
          if (open) counter.watchesOpen--;
          open = false;
          cancel();
        };
      }
      return stream;
    });
  return counter;
}

/** Lets in-flight calls and deliveries settle: no counted change for `quietMs` and nothing in flight. */
async function settle(c: Counter, quietMs = 25): Promise<void> {
  for (;;) {
    const snapshot = `${c.requests}/${c.watchesCreated}/${c.woken}/${c.watchesOpen}`;
    await c.until(() => c.inflight === 0);
    await new Promise((r) => setTimeout(r, quietMs));
    if (c.inflight === 0 && snapshot === `${c.requests}/${c.watchesCreated}/${c.woken}/${c.watchesOpen}`) return;
  }
}

async function parallelCycles(ctx: ScaleContext, names: number): Promise<ScalePoint> {
  const oursClient = await ctx.client();
  const theirClient = await ctx.client();
  const ours = instrument(oursClient);
  const theirs = instrument(theirClient);
  const rounds = ctx.quick ? 2 : 4;
  const perLoop = Math.max(1, Math.ceil((ctx.quick ? 400 : 2000) / names / rounds));
  const session = await Session.create(oursClient, { ttlSeconds: 60 });
  try {
    const mutexes = Array.from({ length: names }, (_, i) => new Mutex(session, `/bench/scale/lock/ours-${names}-${i}`));
    const theirNames = Array.from({ length: names }, (_, i) => `/bench/scale/lock/etcd3-${names}-${i}`);
    const runOurs = async (i: number, n: number): Promise<void> => {
      for (let c = 0; c < n; c++) await (await mutexes[i]!.lock()).unlock();
    };
    const runTheirs = async (i: number, n: number): Promise<void> => {
      for (let c = 0; c < n; c++) {
        const l = theirClient.lock(theirNames[i]!).ttl(60);
        await l.acquire();
        await l.release();
      }
    };
    const timed = async (loop: (i: number, n: number) => Promise<void>, n: number): Promise<number> => {
      const start = nowMs();
      await Promise.all(Array.from({ length: names }, (_, i) => loop(i, n)));
      return nowMs() - start;
    };
    await timed(runOurs, 1); // warm-up
    await timed(runTheirs, 1);
    await settle(ours);
    await settle(theirs);
    const r0 = { ours: ours.requests, theirs: theirs.requests };
    let oursMs = 0;
    let theirsMs = 0;
    for (let r = 0; r < rounds; r++) {
      oursMs += await timed(runOurs, perLoop);
      theirsMs += await timed(runTheirs, perLoop);
    }
    await settle(ours);
    await settle(theirs);
    const cycles = perLoop * rounds * names;
    const oursRate = (cycles / oursMs) * 1000;
    const theirRate = (cycles / theirsMs) * 1000;
    ctx.log(`${names} names: ours ${Math.round(oursRate)} cycles/s, etcd3 ${Math.round(theirRate)} cycles/s (${cycles} cycles each)`);
    return {
      size: names,
      ours: { cyclesPerSec: oursRate, usPerCycle: 1e6 / oursRate, requestsPerCycle: (ours.requests - r0.ours) / cycles },
      reference: { cyclesPerSec: theirRate, usPerCycle: 1e6 / theirRate, requestsPerCycle: (theirs.requests - r0.theirs) / cycles },
    };
  } finally {
    await session.close();
  }
}

interface HandOffFigures {
  requests: number[];
  watchesCreated: number[];
  woken: number[];
  latencyMs: number[];
  openWatches: number;
}

/** One lock driven by {@link rotate}: waiter `i` queues, and gives up its hold. */
interface RotationLock {
  /** Queues waiter `i`; resolves with `nowMs()` when it holds the lock. */
  lock(i: number): Promise<number>;
  /** Waiter `i`, the holder, releases the lock. */
  release(i: number): Promise<void>;
}

/**
 * `waiters` queued on one lock (waiter 0 holds it). Each hand-off releases the holder, waits for
 * the next waiter to hold it and records what that cost, then queues the old holder at the back
 * again, so the queue stays `waiters` long. At the end every waiter is released in turn.
 */
async function rotate(c: Counter, waiters: number, handOffs: number, lock: RotationLock): Promise<HandOffFigures> {
  const out: HandOffFigures = { requests: [], watchesCreated: [], woken: [], latencyMs: [], openWatches: 0 };
  await lock.lock(0);
  let holderIndex = 0;
  const pending = new Map<number, Promise<number>>();
  const enqueue = async (i: number): Promise<void> => {
    const created = c.watchesCreated;
    pending.set(i, lock.lock(i));
    await c.until(() => c.watchesCreated > created); // queued, and watching
  };
  for (let i = 1; i < waiters; i++) await enqueue(i);
  await settle(c);
  out.openWatches = c.watchesOpen;
  for (let n = 0; n < handOffs; n++) {
    const nextIndex = (holderIndex + 1) % waiters;
    const before = { requests: c.requests, created: c.watchesCreated, woken: c.woken };
    const start = nowMs();
    await lock.release(holderIndex);
    const at = await pending.get(nextIndex)!;
    await settle(c);
    out.latencyMs.push(at - start);
    out.requests.push(c.requests - before.requests);
    out.watchesCreated.push(c.watchesCreated - before.created);
    out.woken.push(c.woken - before.woken);
    pending.delete(nextIndex);
    await enqueue(holderIndex); // the old holder queues again at the back
    await settle(c);
    holderIndex = nextIndex;
  }
  // Release everyone: each release hands over to the next, until the queue is empty.
  for (let k = 0; k < waiters; k++) {
    await lock.release(holderIndex);
    const next = (holderIndex + 1) % waiters;
    if (pending.has(next)) await pending.get(next);
    pending.delete(next);
    holderIndex = next;
  }
  return out;
}

/** Our Mutex: `waiters` sessions queued on one name; each release hands over to the next. */
async function oursHandOff(ctx: ScaleContext, waiters: number, handOffs: number): Promise<HandOffFigures> {
  const client = await ctx.client();
  const c = instrument(client);
  const name = `/bench/scale/lock/handoff-${waiters}`;
  const sessions: Session[] = [];
  for (let i = 0; i < waiters; i += 16) {
    sessions.push(...(await Promise.all(Array.from({ length: Math.min(16, waiters - i) }, () => Session.create(client, { ttlSeconds: 60 })))));
  }
  try {
    const mutexes = sessions.map((s) => new Mutex(s, name));
    const handles = new Map<number, LockHandle>();
    return await rotate(c, waiters, handOffs, {
      lock: async (i) => {
        handles.set(i, await mutexes[i]!.lock());
        return nowMs();
      },
      release: async (i) => {
        await handles.get(i)!.unlock();
        handles.delete(i);
      },
    });
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
  }
}

/**
 * The reference: a lock where every waiter watches the whole queue prefix and, on every delete,
 * reads the first-created key to see whether it is now first (the classic thundering herd).
 */
async function herdHandOff(ctx: ScaleContext, waiters: number, handOffs: number): Promise<HandOffFigures> {
  const client = await ctx.client();
  const c = instrument(client);
  const prefix = `/bench/scale/herd/handoff-${waiters}/`;
  const prefixBytes = Buffer.from(prefix);
  const firstKey = async (): Promise<string | undefined> => {
    const res = await client.kv.range({ key: prefixBytes, range_end: prefixRangeEnd(prefixBytes), sort_target: 'Create', sort_order: 'Ascend', limit: 1, keys_only: true });
    return res.kvs[0]?.key.toString();
  };
  const lock = async (i: number): Promise<number> => {
    const key = `${prefix}${i}`;
    await client.put(key).value('').exec();
    const abort = new AbortController();
    try {
      for await (const message of watchPrefix(client, prefix, { signal: abort.signal })) {
        if (message.kind === 'snapshot') {
          const first = [...message.kvs].sort((a, b) => a.createRevision - b.createRevision)[0];
          if (first?.key === key) return nowMs();
        } else if (message.events.some((e) => e.type === 'delete')) {
          if ((await firstKey()) === key) return nowMs();
        }
      }
      throw new Error('herd watch ended');
    } finally {
      abort.abort();
    }
  };
  return rotate(c, waiters, handOffs, { lock, release: async (i) => void (await client.delete().key(`${prefix}${i}`).exec()) });
}

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

const suite: ScaleSuite = {
  name: 'lock',
  async run(ctx) {
    const nameCounts = ctx.quick ? [10] : [10, 100, 1000];
    const parallel: ScalePoint[] = [];
    for (const names of nameCounts) parallel.push(await parallelCycles(ctx, names));

    const queueLengths = ctx.quick ? [16] : [16, 128];
    const handOffs = ctx.quick ? 8 : 40;
    const handoff: ScalePoint[] = [];
    for (const waiters of queueLengths) {
      const o = await oursHandOff(ctx, waiters, handOffs);
      const h = await herdHandOff(ctx, waiters, handOffs);
      const ol = latencySummary(o.latencyMs);
      const hl = latencySummary(h.latencyMs);
      ctx.log(
        `${waiters} waiters: ours ${mean(o.requests).toFixed(2)} req, ${mean(o.woken).toFixed(2)} woken, ${mean(o.watchesCreated).toFixed(2)} watches/hand-off, p50 ${ol.p50.toFixed(1)} ms; ` +
          `herd ${mean(h.requests).toFixed(2)} req, ${mean(h.woken).toFixed(2)} woken, p50 ${hl.p50.toFixed(1)} ms`,
      );
      handoff.push({
        size: waiters,
        ours: {
          requestsPerHandoff: mean(o.requests),
          maxRequestsPerHandoff: Math.max(...o.requests),
          wokenPerHandoff: mean(o.woken),
          watchesCreatedPerHandoff: mean(o.watchesCreated),
          openWatches: o.openWatches,
          handoffP50Ms: ol.p50,
          handoffP99Ms: ol.p99,
        },
        reference: {
          requestsPerHandoff: mean(h.requests),
          maxRequestsPerHandoff: Math.max(...h.requests),
          wokenPerHandoff: mean(h.woken),
          watchesCreatedPerHandoff: mean(h.watchesCreated),
          openWatches: h.openWatches,
          handoffP50Ms: hl.p50,
          handoffP99Ms: hl.p99,
        },
      });
    }

    const pf = parallel[0]!;
    const pl = parallel[parallel.length - 1]!;
    const r = (p: ScalePoint, m: string): string => (p.ours[m]! / p.reference[m]!).toPrecision(2);
    const hf = handoff[0]!;
    const hl = handoff[handoff.length - 1]!;
    const curves: ScaleCurve[] = [
      {
        id: 'lock.parallel',
        title: 'Lock: uncontended lock+unlock cycles, names in parallel',
        xLabel: 'lock names',
        units: { cyclesPerSec: 'cycles/s', usPerCycle: 'µs/cycle', requestsPerCycle: 'req/cycle' },
        referenceName: 'npm etcd3 Lock',
        points: parallel,
        flat: [{ metric: 'requestsPerCycle', within: 2 }],
        maxRatio: { usPerCycle: 1, requestsPerCycle: 1 },
        conclusion:
          `Ours ${Math.round(pf.ours['cyclesPerSec']!)} cycles/s at ${pf.size} names (${r(pf, 'cyclesPerSec')}x etcd3)` +
          (parallel.length > 1 ? ` to ${Math.round(pl.ours['cyclesPerSec']!)} at ${pl.size} (${r(pl, 'cyclesPerSec')}x)` : '') +
          `, ${pf.ours['requestsPerCycle']!.toPrecision(2)} requests per cycle against etcd3's ${pf.reference['requestsPerCycle']!.toPrecision(2)}.`,
      },
      {
        id: 'lock.handoff',
        title: 'Lock: hand-off to the next of N waiters on one name',
        xLabel: 'waiters',
        units: {
          requestsPerHandoff: 'req',
          maxRequestsPerHandoff: 'req',
          wokenPerHandoff: 'waiters',
          watchesCreatedPerHandoff: 'watches',
          openWatches: 'watches',
          handoffP50Ms: 'ms',
          handoffP99Ms: 'ms',
        },
        referenceName: 'herd lock (every waiter watches the prefix)',
        points: handoff,
        flat: [
          { metric: 'requestsPerHandoff', within: 2 },
          { metric: 'wokenPerHandoff', within: 2 },
          { metric: 'watchesCreatedPerHandoff', within: 2 },
        ],
        conclusion:
          `Each release wakes ${hf.ours['wokenPerHandoff']!.toPrecision(2)} waiter and costs ${hf.ours['requestsPerHandoff']!.toPrecision(2)} requests at ${hf.size} waiters` +
          (handoff.length > 1 ? ` and ${hl.ours['wokenPerHandoff']!.toPrecision(2)} / ${hl.ours['requestsPerHandoff']!.toPrecision(2)} at ${hl.size}` : '') +
          `; a prefix-watching lock wakes ${hl.reference['wokenPerHandoff']!.toPrecision(3)} and sends ${hl.reference['requestsPerHandoff']!.toPrecision(3)} at ${hl.size}.`,
      },
    ];
    return curves;
  },
};

export default suite;
