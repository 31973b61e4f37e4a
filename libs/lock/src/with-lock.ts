import { checkOnRead, type Session } from '@etcd-patterns/etcd';
import { LockError } from './errors';
import type { LockHandle } from './lock-handle';
import { Mutex } from './mutex';
import { LinkedSignal } from './internal/abort';

/** Options of {@link withLock}. */
export interface WithLockOptions {
  /**
   * Aborts the wait for the lock (`ABORTED`, the waiter key is deleted) and, once the lock is
   * held, the signal passed to `fn`.
   */
  readonly signal?: AbortSignal;
}

/**
 * Runs `fn` while holding the lock `name`, then releases it (also when `fn` throws).
 *
 * `fn` receives the {@link LockHandle} (for `token` and fenced writes) and a signal that fires
 * when the lock is lost, when `options.signal` fires, or when `withLock` returns. `fn` should
 * stop acting on the protected resource as soon as it fires; writes to etcd should go through
 * `handle.fencedTxn()`, which refuses them once the lock is gone.
 *
 * @returns what `fn` returns. If `fn` completes after the lock was lost, its result is still
 *   returned; check `handle.lost` inside `fn` if that matters.
 * @throws what `Mutex.lock()` throws (`LOCK_SESSION_EXPIRED`, `LOCK_INVALID_NAME`, `ABORTED`),
 *   what `fn` throws, or, if `fn` succeeded, what `unlock()` throws.
 */
export async function withLock<T>(
  session: Session,
  name: string,
  fn: (handle: LockHandle, signal: AbortSignal) => Promise<T> | T,
  options: WithLockOptions = {},
): Promise<T> {
  const handle = await new Mutex(session, name).lock({ signal: options.signal });
  const linked = new LinkedSignal([handle.lost, options.signal]);
  // Truthful when `fn` reads it, even right after a stalled event loop (see `checkOnRead`).
  checkOnRead(linked.signal, () => {
    const lost = handle.lost;
    if (lost.aborted) linked.abort(lost.reason);
  });
  const finished = (): void =>
    linked.abort(new LockError('LOCK_NOT_HELD', `withLock(${JSON.stringify(name)}) finished; the lock was released`));
  let result: T;
  try {
    result = await fn(handle, linked.signal);
  } catch (error) {
    finished();
    await handle.unlock().catch(() => undefined);
    throw error;
  }
  finished();
  await handle.unlock();
  return result;
}
