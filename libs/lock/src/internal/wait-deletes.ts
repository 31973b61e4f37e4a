import { abortableSleep, abortError, Backoff, EtcdPatternsError, throwIfAborted, toEtcdError, watchPrefix } from '@etcd-patterns/etcd';
import type { Etcd3 } from 'etcd3';
import { raceSignal } from './abort';
import { getOp, lastCreatedBeforeOp } from './ops';

/**
 * Resolves once `key` (created at `createRevision`) is deleted, watching from `fromRevision`
 * (inclusive). Only that key is watched. A key found re-created (another create revision)
 * counts as deleted. The watch is gap-free and reconnects by itself (see `watchPrefix`).
 *
 * @throws {EtcdPatternsError} the abort error of `signal`; non-retryable watch errors.
 */
export async function waitKeyDeleted(
  client: Etcd3,
  key: string,
  createRevision: number,
  fromRevision: number,
  signal: AbortSignal,
): Promise<void> {
  throwIfAborted(signal);
  // watchPrefix watches `key*`; longer keys (another lease whose hex starts the same) are ignored.
  for await (const message of watchPrefix(client, key, { startRevision: fromRevision, signal })) {
    if (message.kind === 'events') {
      for (const event of message.events) {
        if (event.kv.key !== key) continue;
        if (event.type === 'delete' || event.kv.createRevision !== createRevision) return;
      }
    } else {
      const kv = message.kvs.find((k) => k.key === key);
      if (!kv || kv.createRevision !== createRevision) return;
    }
  }
  throwIfAborted(signal);
  throw new EtcdPatternsError('ETCD_UNAVAILABLE', `watch of ${key} ended unexpectedly`);
}

/**
 * Waits until no key under `prefix` was created before `myRevision` (Go `waitDeletes`): reads
 * the latest such key (`max_create_revision = myRevision - 1`, newest first, limit 1), watches
 * only that key until it is deleted, and repeats. One release therefore wakes one waiter.
 *
 * Each read also re-reads `myKey` in the same (read-only, retry-safe) transaction.
 *
 * @returns the revision at which `myKey` was seen, still created at `myRevision`, with no
 *   predecessor; or `undefined` when `myKey` is gone or was re-created (the lease expired or
 *   someone deleted it while queued: the caller must NOT report ownership).
 * @throws {EtcdPatternsError} the abort error of `signal`; non-retryable etcd errors.
 */
export async function waitDeletes(
  client: Etcd3,
  prefix: string,
  myKey: string,
  myRevision: number,
  signal: AbortSignal,
): Promise<number | undefined> {
  const backoff = new Backoff({ initialMs: 50, maxMs: 1000 });
  for (;;) {
    throwIfAborted(signal);
    let found: { revision: number; mine: boolean; predecessor?: { key: string; createRevision: number } };
    try {
      const res = await raceSignal(
        client.kv.txn({ success: [lastCreatedBeforeOp(prefix, myRevision - 1), getOp(myKey)] }),
        signal,
      );
      const predecessor = res.responses[0]?.response_range.kvs[0];
      const own = res.responses[1]?.response_range.kvs[0];
      found = {
        revision: Number(res.header.revision),
        mine: own !== undefined && Number(own.create_revision) === myRevision,
        predecessor: predecessor && { key: predecessor.key.toString(), createRevision: Number(predecessor.create_revision) },
      };
    } catch (error) {
      if (signal.aborted) throw abortError(signal);
      const e = toEtcdError(error, 'lock queue read');
      if (!e.retryable) throw e;
      await abortableSleep(backoff.next(), signal);
      continue;
    }
    backoff.reset();
    if (!found.mine) return undefined;
    if (!found.predecessor) return found.revision;
    await waitKeyDeleted(client, found.predecessor.key, found.predecessor.createRevision, found.revision + 1, signal);
  }
}
