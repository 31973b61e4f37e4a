// The reference of the config benchmarks: a raw put delivered to N raw `watchPrefix` watchers.
import { watchPrefix, type PrefixWatchMessage } from '@etcd-patterns/etcd';
import type { Etcd3 } from 'etcd3';
import { setMaxListeners } from 'node:events';
import { nowMs } from './bench-kit';

/** What one {@link RawFanout.put} measured. */
export interface FanoutSample {
  /** Per watcher: ms from just before the put was sent to the watcher seeing its event. */
  readonly delays: number[];
  /** ms the put call itself took. */
  readonly putMs: number;
}

/** `count` raw watchers of one prefix, spread over `clients`, each past its snapshot. */
export class RawFanout {
  private readonly abort = new AbortController();
  private readonly deliveredAt = new Map<string, number[]>();
  private readonly waiters = new Map<string, () => void>();
  private loops: Array<Promise<void>> = [];

  private constructor(private readonly count: number) {
    setMaxListeners(count * 2, this.abort.signal); // one listener per watcher
  }

  /** Starts the watchers; resolves once every one has its snapshot. */
  static async start(clients: readonly Etcd3[], prefix: string, count: number): Promise<RawFanout> {
    const fanout = new RawFanout(count);
    const iterators = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const iterator = watchPrefix(clients[i % clients.length]!, prefix, { signal: fanout.abort.signal })[Symbol.asyncIterator]();
        await iterator.next(); // the snapshot
        return iterator;
      }),
    );
    fanout.loops = iterators.map((iterator) => fanout.consume(iterator));
    return fanout;
  }

  /** Puts `key` (under the prefix) and waits until every watcher has seen it. */
  async put(writer: Etcd3, key: string, value: string): Promise<FanoutSample> {
    const done = new Promise<void>((resolve) => this.waiters.set(key, resolve));
    const start = nowMs();
    await writer.put(key).value(value).exec();
    const putMs = nowMs() - start;
    await done;
    const delays = this.deliveredAt.get(key)!.map((t) => t - start);
    this.deliveredAt.delete(key);
    this.waiters.delete(key);
    return { delays, putMs };
  }

  /** Stops every watcher. */
  async close(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops);
  }

  private async consume(iterator: AsyncIterator<PrefixWatchMessage>): Promise<void> {
    for (;;) {
      const { value, done } = await iterator.next();
      if (done) return;
      if (value.kind !== 'events') continue;
      const at = nowMs();
      for (const e of value.events) {
        const list = this.deliveredAt.get(e.kv.key) ?? [];
        list.push(at);
        this.deliveredAt.set(e.kv.key, list);
        if (list.length === this.count) this.waiters.get(e.kv.key)?.();
      }
    }
  }
}
