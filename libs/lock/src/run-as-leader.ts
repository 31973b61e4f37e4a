import { abortableSleep, checkOnRead, type Session } from '@etcd-patterns/etcd';
import { Election } from './election';
import { isLockError, LockError } from './errors';
import type { Leadership } from './leadership';
import { LinkedSignal } from './internal/abort';
import { validateName } from './internal/names';

/** Options of {@link runAsLeader}. */
export interface RunAsLeaderOptions {
  /** Stops campaigning; a running task's signal fires, then leadership is resigned. */
  readonly signal?: AbortSignal;
  /**
   * Called with every error of a task (the loop goes on: resign, pause, campaign again), and
   * with session losses. Default: none (errors are swallowed). Must not throw.
   */
  readonly onError?: (error: unknown) => void;
  /** Pause after a task failed or returned before campaigning again, in ms. Default 1000. */
  readonly retryDelayMs?: number;
}

/**
 * Runs `task` on one process at a time: campaigns in the election `name` with `value`, runs
 * `task` while leading, and campaigns again after leadership ends, until `options.signal` fires.
 *
 * `task` gets the {@link Leadership} (for `token` and fenced writes) and a signal that fires when
 * leadership is lost, when `options.signal` fires, or when the task's term is over; it must stop
 * acting as leader when it does. Reading `signal.aborted` checks the session's deadline, so a task
 * that checks it before each unit of work does none after a stall that outlasted the lease. Its promise is awaited before campaigning again, so one process
 * never runs two terms at once. When the task returns or throws, leadership is resigned (another
 * candidate takes over at once) and this process campaigns again after `retryDelayMs`.
 *
 * `session` is either a `Session`, borrowed (never closed here; when it is lost the loop ends
 * with `ELECTION_SESSION_EXPIRED`), or a factory called for the first term and again after each
 * session loss; sessions from the factory are owned here and closed when the loop ends.
 *
 * @returns when `options.signal` fires (after the task settled and leadership was resigned).
 * @throws {LockError} `LOCK_INVALID_NAME`; `ELECTION_SESSION_EXPIRED` when a borrowed session is
 *   lost; non-retryable etcd errors (`ETCD_PERMISSION_DENIED`, ...) and the factory's errors.
 */
export async function runAsLeader(
  session: Session | (() => Promise<Session>),
  name: string,
  value: string,
  task: (leadership: Leadership, signal: AbortSignal) => Promise<void> | void,
  options: RunAsLeaderOptions = {},
): Promise<void> {
  validateName(name, 'election');
  const { signal } = options;
  const report = (error: unknown): void => {
    try {
      options.onError?.(error);
    } catch {
      // onError must not throw; if it does, the loop goes on regardless.
    }
  };
  const owned = typeof session === 'function';
  let current: Session | undefined = owned ? undefined : session;
  try {
    while (!signal?.aborted) {
      if (!current || current.lost.aborted) {
        if (!owned) {
          const reason: unknown = current?.lost.reason;
          throw new LockError('ELECTION_SESSION_EXPIRED', `runAsLeader(${JSON.stringify(name)}): the session was lost`, { cause: reason });
        }
        await current?.close().catch(() => undefined);
        current = await session();
      }
      let leadership: Leadership;
      try {
        leadership = await new Election(current, name).campaign(value, { signal });
      } catch (error) {
        if (signal?.aborted) return;
        if (isLockError(error, 'ELECTION_SESSION_EXPIRED')) {
          report(error);
          continue;
        }
        throw error;
      }
      const term = new LinkedSignal([leadership.lost, signal]);
      // Truthful when the task reads it, even right after a stalled event loop.
      checkOnRead(term.signal, () => {
        const lost = leadership.lost;
        if (lost.aborted) term.abort(lost.reason);
      });
      try {
        await task(leadership, term.signal);
      } catch (error) {
        report(error);
      } finally {
        term.abort(new LockError('ELECTION_NOT_LEADER', `runAsLeader(${JSON.stringify(name)}): the term ended`));
        await leadership.resign().catch(report);
      }
      if (leadership.lost.aborted) report(leadership.lost.reason);
      if (signal?.aborted) return;
      if (!current.lost.aborted) await abortableSleep(options.retryDelayMs ?? 1000, signal).catch(() => undefined);
    }
  } finally {
    if (owned) await current?.close().catch(() => undefined);
  }
}
