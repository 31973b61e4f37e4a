import { EtcdPatternsError, type EtcdPatternsErrorOptions } from '@etcd-patterns/etcd';

/**
 * Stable error codes of `@etcd-patterns/lock`, in addition to the `@etcd-patterns/etcd` codes
 * (`ABORTED`, `ETCD_UNAVAILABLE`, `ETCD_PERMISSION_DENIED`, ...). Match on these, never on
 * message text.
 *
 * - `LOCK_INVALID_NAME`: a lock or election name is empty or malformed (not retryable).
 * - `LOCK_SESSION_EXPIRED`: the session was lost, or the waiter's key vanished, before the lock
 *   was acquired; the lock is NOT held. Create a new `Session` to try again (not retryable with
 *   the same session).
 * - `LOCK_NOT_HELD`: a fenced transaction's guard failed: the lock is no longer held; or
 *   `assertHeld()` after `unlock()`.
 * - `LOCK_LOST`: reason of `LockHandle.lost` when the lock key was deleted by someone else;
 *   thrown by `LockHandle.assertHeld()` once the lock is lost for any reason.
 * - `ELECTION_SESSION_EXPIRED`: like `LOCK_SESSION_EXPIRED`, for `Election.campaign`.
 * - `ELECTION_NOT_LEADER`: `proclaim` or a fenced transaction found that this candidate no
 *   longer leads.
 * - `ELECTION_LOST`: reason of `Leadership.lost` when the leader key was deleted by someone else;
 *   thrown by `Leadership.assertHeld()` once leadership is lost for any reason.
 */
export type LockErrorCode =
  | 'LOCK_INVALID_NAME'
  | 'LOCK_SESSION_EXPIRED'
  | 'LOCK_NOT_HELD'
  | 'LOCK_LOST'
  | 'ELECTION_SESSION_EXPIRED'
  | 'ELECTION_NOT_LEADER'
  | 'ELECTION_LOST';

/**
 * Error thrown by `@etcd-patterns/lock`. An {@link EtcdPatternsError} with one of the
 * {@link LockErrorCode} codes; never retryable with the same session or handle.
 */
export class LockError extends EtcdPatternsError {
  declare readonly code: LockErrorCode;

  constructor(code: LockErrorCode, message: string, options: EtcdPatternsErrorOptions = {}) {
    super(code, message, { retryable: false, ...options });
  }
}

/** True when `error` is a {@link LockError}, optionally with the given code. */
export function isLockError(error: unknown, code?: LockErrorCode): error is LockError {
  return error instanceof LockError && (code === undefined || error.code === code);
}
