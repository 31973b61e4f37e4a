import {
  BrokenCircuitError,
  circuitBreaker,
  ConsecutiveBreaker,
  EventEmitter,
  handleWhen,
  noop,
  wrap,
  type IDefaultPolicyContext,
  type IFailureEvent,
  type IPolicy,
  type ISuccessEvent,
} from 'cockatiel';
import { GRPCDeadlineExceededError, isRecoverableError } from 'etcd3';

const FIRST_SKIP_MS = 1000;
const MAX_SKIP_MS = 5000;

/** The members of one client that are being skipped, so that never all of them are. */
class SkipSet {
  private readonly skipped = new Set<SkipAfterTimeout>();
  constructor(private readonly size: number) {}
  mark(member: SkipAfterTimeout, skipping: boolean): void {
    if (skipping) this.skipped.add(member);
    else this.skipped.delete(member);
  }
  /** Whether `member` may be skipped now: at least one other member is not. */
  maySkip(member: SkipAfterTimeout): boolean {
    const others = this.skipped.has(member) ? this.skipped.size - 1 : this.skipped.size;
    return others < this.size - 1;
  }
}

/**
 * Skips a member for a while after a call to it timed out. Unlike cockatiel's circuit breaker,
 * it has no half-open state that makes other callers wait for a trial call: once the skip
 * window is over, calls go to the member again, and the first one that times out opens a new,
 * doubled window (1 s, 2 s, 4 s, at most 5 s; any success resets it). While skipped, calls fail at
 * once with `BrokenCircuitError`, which the pool takes as "try the next member". It never skips
 * every member of a client: with all others skipped, calls go through.
 */
class SkipAfterTimeout implements IPolicy<IDefaultPolicyContext> {
  declare readonly _altReturn: never;
  private readonly successEmitter = new EventEmitter<ISuccessEvent>();
  private readonly failureEmitter = new EventEmitter<IFailureEvent>();
  readonly onSuccess = this.successEmitter.addListener;
  readonly onFailure = this.failureEmitter.addListener;
  private skipUntil = 0;
  private nextSkipMs = FIRST_SKIP_MS;

  constructor(private readonly set: SkipSet) {}

  async execute<T>(fn: (context: IDefaultPolicyContext) => PromiseLike<T> | T, signal = new AbortController().signal): Promise<T> {
    const now = performance.now();
    const skipping = now < this.skipUntil;
    this.set.mark(this, skipping);
    if (skipping && this.set.maySkip(this)) throw new BrokenCircuitError();
    const started = performance.now();
    try {
      const value = await fn({ signal });
      this.nextSkipMs = FIRST_SKIP_MS;
      this.successEmitter.emit({ duration: performance.now() - started });
      return value;
    } catch (error) {
      if (error instanceof GRPCDeadlineExceededError) {
        this.skipUntil = performance.now() + this.nextSkipMs;
        this.nextSkipMs = Math.min(MAX_SKIP_MS, this.nextSkipMs * 2);
        this.set.mark(this, true);
        this.failureEmitter.emit({ duration: performance.now() - started, handled: true, reason: { error: error as Error } });
      }
      throw error;
    }
  }
}

/**
 * The per-member fault policies of one client's connection pool (call once per client, then
 * `forMember()` once per endpoint).
 *
 * - **A call that timed out** skips the member at once (see `SkipAfterTimeout`): a frozen
 *   member (SIGSTOP, a stalled disk, a long GC pause) keeps its TCP connection open and answers
 *   nothing, so every call sent there would wait for its whole deadline.
 * - **Other connection failures** (UNAVAILABLE, a reset) skip the member for 1 s after three in a
 *   row, as before: they fail fast, so a trial costs little.
 * - **A single endpoint** gets no policy: there is nothing to fail over to.
 */
export function memberFaultPolicies(endpointCount: number): { forMember(): IPolicy } {
  if (endpointCount <= 1) return { forMember: () => noop };
  const set = new SkipSet(endpointCount);
  return {
    forMember: () =>
      wrap(
        new SkipAfterTimeout(set),
        circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 1000, breaker: new ConsecutiveBreaker(3) }),
      ),
  };
}
