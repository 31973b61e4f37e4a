import { abortableSleep, Backoff, toEtcdError, type Session } from '@etcd-patterns/etcd';
import type { ITxnResponse } from 'etcd3';
import { LinkedSignal, raceSignal } from './abort';
import { createRevisionIs, deleteOp } from './ops';
import type { Mine } from './queue-key';

/**
 * Removes a waiter's key after a failed or cancelled wait, so it cannot block the queue.
 * `mine` is the key's create revision when known (the delete is then guarded by it),
 * `'unknown'` when a create may or may not have been applied (plain delete), `undefined` when
 * nothing of ours exists (no-op), or a promise of these while the create is in flight (awaited
 * first: one round trip).
 *
 * Waits for one attempt; if that fails, retries in the background until done or the session is
 * lost (the lease then removes the key). Never throws.
 */
export async function cleanUpKey(session: Session, key: string, mine: Mine | Promise<Mine>): Promise<void> {
  // A create still in flight is awaited (one round trip, bounded by the call deadline), so that
  // when the aborted lock() rejects, its key is gone: the caller never races its own waiter.
  if (mine instanceof Promise) mine = await mine.catch((): Mine => 'unknown');
  if (mine === undefined) return;
  const attempt = (): Promise<ITxnResponse> =>
    session.client.kv.txn(
      typeof mine === 'number' ? { compare: [createRevisionIs(key, mine)], success: [deleteOp(key)] } : { success: [deleteOp(key)] },
    );
  const linked = new LinkedSignal([session.lost]);
  const lost = linked.signal;
  try {
    await raceSignal(attempt(), lost);
    return linked.dispose();
  } catch {
    if (lost.aborted) return linked.dispose();
  }
  void (async () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 2000 });
    for (;;) {
      await abortableSleep(backoff.next(), lost);
      try {
        await raceSignal(attempt(), lost);
        return;
      } catch (error) {
        if (lost.aborted || !toEtcdError(error).retryable) return;
      }
    }
  })()
    .catch(() => undefined)
    .finally(() => linked.dispose());
}
