import {
  circuitBreaker,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  noop,
  wrap,
  type IPolicy,
} from 'cockatiel';
import { GRPCDeadlineExceededError, isRecoverableError } from 'etcd3';

/**
 * The per-member fault policy of the connection pool.
 *
 * - **A call that timed out** skips the member at once: a frozen member (SIGSTOP, a stalled
 *   disk, a long GC pause) keeps its TCP connection open and answers nothing, so every call sent
 *   there waits for its whole deadline. After one timeout the member gets no calls for 1 s, then
 *   one trial call; each failed trial doubles the wait (up to 10 s).
 * - **Other connection failures** (UNAVAILABLE, a reset) skip the member for 1 s after three in a
 *   row, as before: they fail fast, so a retry elsewhere costs little.
 * - **A single endpoint** gets no breaker: there is nothing to fail over to, and an open breaker
 *   would only fail calls (keepalives included) after the member is back.
 */
export function memberFaultPolicy(endpointCount: number): IPolicy {
  if (endpointCount <= 1) return noop;
  const timedOut = circuitBreaker(
    handleWhen((error) => error instanceof GRPCDeadlineExceededError),
    {
      halfOpenAfter: new ExponentialBackoff({ initialDelay: 1000, maxDelay: 10_000 }),
      breaker: new ConsecutiveBreaker(1),
    },
  );
  const failing = circuitBreaker(handleWhen(isRecoverableError), {
    halfOpenAfter: 1000,
    breaker: new ConsecutiveBreaker(3),
  });
  return wrap(timedOut, failing);
}
