import { abortableSleep, EtcdPatternsError, prefixRangeEnd, toEtcdError, watchPrefix, type KeyValue } from '@etcd-patterns/etcd';
import type { Etcd3 } from 'etcd3';
import { LinkedSignal } from './abort';
import { toLeaderInfo, type LeaderChange, type LeaderInfo } from '../leader-info';

/** Settings of {@link observeLeader}. */
export interface ObserveLeaderSettings {
  readonly signal: AbortSignal | undefined;
  readonly probeIntervalMs: number;
  readonly unavailableTimeoutMs: number;
}

/**
 * Leader changes under `prefix`: the current state first, then one item per change of the
 * first-created key (new leader, proclamation, no leader). Built on `watchPrefix` (gap-free,
 * reconnecting, compaction-safe). While no change arrives, etcd is probed every
 * `probeIntervalMs`; if it stays unreachable for `unavailableTimeoutMs` the iteration throws
 * `ETCD_UNAVAILABLE` instead of going silent on a stale leader.
 */
export async function* observeLeader(client: Etcd3, prefix: string, settings: ObserveLeaderSettings): AsyncGenerator<LeaderChange> {
  const linked = new LinkedSignal([settings.signal]);
  const signal = linked.signal;
  const keys = new Map<string, KeyValue>();
  let emitted: LeaderInfo | undefined | null = null;
  let lastMessageAt = performance.now();

  let fail!: (error: Error) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => undefined);
  void probe(client, prefix, settings, signal, () => lastMessageAt, fail);

  const iterator = watchPrefix(client, prefix, { signal })[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), failed]);
      if (next.done) return;
      lastMessageAt = performance.now();
      const message = next.value;
      if (message.kind === 'events') {
        for (const event of message.events) {
          if (event.type === 'put') keys.set(event.kv.key, event.kv);
          else keys.delete(event.kv.key);
        }
      } else {
        keys.clear();
        for (const kv of message.kvs) keys.set(kv.key, kv);
      }
      const leader = firstCreated(keys);
      if (emitted !== null && sameLeader(emitted, leader)) continue;
      emitted = leader;
      yield { leader, revision: message.revision };
    }
  } finally {
    linked.abort(new EtcdPatternsError('ABORTED', 'observation ended'));
    await iterator.return?.();
  }
}

function firstCreated(keys: ReadonlyMap<string, KeyValue>): LeaderInfo | undefined {
  let first: KeyValue | undefined;
  for (const kv of keys.values()) if (!first || kv.createRevision < first.createRevision) first = kv;
  return first && toLeaderInfo(first);
}

function sameLeader(a: LeaderInfo | undefined, b: LeaderInfo | undefined): boolean {
  if (!a || !b) return a === b;
  return a.key === b.key && a.createRevision === b.createRevision && a.modRevision === b.modRevision;
}

async function probe(
  client: Etcd3,
  prefix: string,
  settings: ObserveLeaderSettings,
  signal: AbortSignal,
  lastMessageAt: () => number,
  fail: (error: Error) => void,
): Promise<void> {
  const key = Buffer.from(prefix);
  let failingSince: number | undefined;
  try {
    for (;;) {
      await abortableSleep(settings.probeIntervalMs, signal, { unref: true });
      if (failingSince === undefined && performance.now() - lastMessageAt() < settings.probeIntervalMs) continue;
      const startedAt = performance.now();
      try {
        await client.kv.range({ key, range_end: prefixRangeEnd(key), count_only: true });
        failingSince = undefined;
      } catch (error) {
        const e = toEtcdError(error, 'election observe probe');
        if (!e.retryable) return fail(e);
        failingSince ??= startedAt;
        if (performance.now() - failingSince >= settings.unavailableTimeoutMs) {
          return fail(
            new EtcdPatternsError('ETCD_UNAVAILABLE', `etcd unreachable for ${settings.unavailableTimeoutMs} ms: the leader is unknown`, {
              cause: e,
            }),
          );
        }
      }
    }
  } catch {
    // aborted: the iteration is over
  }
}
