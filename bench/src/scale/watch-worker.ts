// Worker process of watch.scale.ts (see child-rpc.ts): hosts prefix watchers, ours
// (`watchPrefix`) or raw etcd3 Watchers, and measures what the producer in the runner cannot:
// put -> event delay (the value of every put is its send time on the machine-wide clock), the
// watchers' heap, and with one slow consumer how much is buffered over time.
// Env: ETCD_ENDPOINTS.
import { createEtcdClient, watchPrefix, type PrefixWatch } from '@etcd-patterns/etcd';
import type { Watcher } from 'etcd3';
import { setTimeout as sleep } from 'node:timers/promises';
import { percentile } from '../bench-kit';
import { epochMs, retainedBytes, serveRequests } from './child-rpc';

/** One sample of the slow consumer's state. */
export interface BufferSample {
  /** Seconds since the slow consumer started. */
  readonly t: number;
  /** Events received and not yet consumed (ours: `stats.bufferedEvents`; raw: the consumer's queue). */
  readonly buffered: number;
  /** Retained heap + ArrayBuffers after a full GC, bytes. */
  readonly bytes: number;
  /** Events consumed so far. */
  readonly consumed: number;
}

async function main(): Promise<void> {
  const client = await createEtcdClient();
  const stop = new AbortController();
  let abort = new AbortController();
  let raw: Watcher[] = [];
  let delays: number[] = [];
  let received = 0;
  let peakBytes = 0;
  let cpuStart = process.cpuUsage();
  let sampler: NodeJS.Timeout | undefined;
  const arrived = (value: Buffer): void => {
    delays.push(epochMs() - Number(value.toString()));
    received++;
  };

  const closeAll = async (): Promise<void> => {
    abort.abort();
    abort = new AbortController();
    await Promise.all(raw.map((w) => w.cancel().catch(() => undefined)));
    raw = [];
    clearInterval(sampler);
  };

  serveRequests(
    {
      // Opens `count` watchers of `prefix`; resolves once all are live. Returns the retained bytes
      // added by the first watcher (it also opens the shared stream) and by all of them.
      async watch(args) {
        const prefix = args['prefix'] as string;
        const count = args['count'] as number;
        const before = retainedBytes();
        const open = async (n: number): Promise<void> => {
          if (args['kind'] === 'raw') {
            const opened = await Promise.all(Array.from({ length: n }, () => client.watch().prefix(prefix).create()));
            for (const w of opened) w.on('put', (kv) => arrived(kv.value));
            raw.push(...opened);
            return;
          }
          const signal = abort.signal;
          await Promise.all(
            Array.from({ length: n }, async () => {
              const it = watchPrefix(client, prefix, { signal })[Symbol.asyncIterator]();
              await it.next(); // the snapshot
              void (async () => {
                for (;;) {
                  const { value, done } = await it.next();
                  if (done) return;
                  if (value.kind !== 'snapshot') for (const e of value.events) if (e.type === 'put') arrived(e.kv.value);
                }
              })();
            }),
          );
          await sleep(300); // the streams open after the snapshot
        };
        await open(1);
        const firstBytes = retainedBytes() - before;
        await open(count - 1);
        return { bytes: retainedBytes() - before, firstBytes };
      },
      start() {
        delays = [];
        received = 0;
        peakBytes = 0;
        cpuStart = process.cpuUsage();
        sampler = setInterval(() => {
          const m = process.memoryUsage();
          peakBytes = Math.max(peakBytes, m.heapUsed + m.arrayBuffers);
        }, 50);
      },
      // Resolves once `expected` events arrived (or after `timeoutMs`), with the delays' summary
      // and the worker's CPU time (user + system) since `start`, which is all spent on delivery:
      // the worker does nothing else meanwhile (its 20 ms polling here is a few timer turns).
      async collect(args) {
        const expected = args['expected'] as number;
        const deadline = performance.now() + (args['timeoutMs'] as number);
        while (received < expected && performance.now() < deadline) await sleep(20);
        const cpu = process.cpuUsage(cpuStart);
        clearInterval(sampler);
        const cpuMs = (cpu.user + cpu.system) / 1000;
        const result = { received, p50Ms: percentile(delays, 50), p99Ms: percentile(delays, 99), peakBytes, cpuMs };
        delays = [];
        return result;
      },
      async unwatch() {
        await closeAll();
      },
      // One consumer that takes `1000 / ratePerSecond` ms per event, sampled every `sampleMs`
      // for `durationMs`. Returns the samples.
      async slow(args) {
        const prefix = args['prefix'] as string;
        const ratePerSecond = args['ratePerSecond'] as number;
        const sampleMs = args['sampleMs'] as number;
        const durationMs = args['durationMs'] as number;
        const signal = abort.signal;
        let consumed = 0;
        const start = performance.now();
        // Consumes one event, then waits until the consumer's rate is back under its limit.
        const consume = async (): Promise<void> => {
          consumed++;
          const due = start + (consumed / ratePerSecond) * 1000;
          const wait = due - performance.now();
          if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined);
        };
        let buffered: () => number;
        if (args['kind'] === 'raw') {
          // What a user of etcd3 writes for an async consumer: the Watcher emits, a queue holds.
          const queue: Buffer[] = [];
          const watcher = await client.watch().prefix(prefix).create();
          raw = [watcher];
          let wake: (() => void) | undefined;
          watcher.on('put', (kv) => {
            queue.push(kv.value);
            wake?.();
          });
          buffered = () => queue.length;
          void (async () => {
            while (!signal.aborted) {
              if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
              wake = undefined;
              if (queue.shift()) await consume();
            }
          })();
        } else {
          const watch: PrefixWatch = watchPrefix(client, prefix, { signal });
          const it = watch[Symbol.asyncIterator]();
          await it.next(); // the snapshot
          buffered = () => watch.stats.bufferedEvents;
          void (async () => {
            for (;;) {
              const { value, done } = await it.next().catch(() => ({ value: undefined, done: true as const }));
              if (done) return;
              if (value.kind !== 'snapshot') for (let i = 0; i < value.events.length; i++) await consume();
            }
          })();
        }
        const samples: BufferSample[] = [];
        const t0 = performance.now();
        while (performance.now() - t0 < durationMs) {
          await sleep(sampleMs);
          samples.push({ t: (performance.now() - t0) / 1000, buffered: buffered(), bytes: retainedBytes(), consumed });
        }
        await closeAll();
        return samples;
      },
    },
    async () => {
      stop.abort();
      await closeAll();
      client.close();
    },
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
