/** Options of the loop-lag guard (`SessionOptions.stallGuard`). */
export interface StallGuardOptions {
  /** How often the guard looks at the clocks, in ms. Default 100. */
  readonly intervalMs?: number;
}

/** One look at both clocks. */
export interface ClockReading {
  /** `performance.now()`: monotonic; on Linux it does not advance while the machine sleeps. */
  readonly monoMs: number;
  /** `Date.now()`: wall clock; advances during sleep (and may jump when the clock is set). */
  readonly wallMs: number;
}

/**
 * Whether the process was frozen past `deadlineMs` (monotonic) between two readings: the gap,
 * by the monotonic or the wall clock, whichever says more, is longer than `minGapMs` (a stall,
 * not an ordinary tick) and at least the budget that was left at the earlier reading. The wall
 * clock catches a machine that slept (the monotonic clock stood still, the lease's TTL did not);
 * a wall clock set backwards is ignored.
 */
export function frozenPastDeadline(before: ClockReading, after: ClockReading, deadlineMs: number, minGapMs: number): boolean {
  const gap = Math.max(after.monoMs - before.monoMs, after.wallMs - before.wallMs);
  return gap > minGapMs && gap >= deadlineMs - before.monoMs;
}

/** Reads both clocks. */
export function readClocks(): ClockReading {
  return { monoMs: performance.now(), wallMs: Date.now() };
}

/**
 * A cheap timer-drift check: every `intervalMs` it compares both clocks with the previous tick
 * and calls `onFrozen` when a gap of over twice the interval ate the remaining budget (see
 * {@link frozenPastDeadline}).
 * The timer is unref'd. `deadline()` returns the current monotonic deadline.
 */
export class StallGuard {
  private readonly timer: NodeJS.Timeout;
  private last = readClocks();

  constructor(deadline: () => number, onFrozen: () => void, options: StallGuardOptions = {}) {
    const intervalMs = options.intervalMs ?? 100;
    this.timer = setInterval(() => {
      const now = readClocks();
      const frozen = frozenPastDeadline(this.last, now, deadline(), 2 * intervalMs);
      this.last = now;
      if (frozen) onFrozen();
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the timer. Idempotent. */
  stop(): void {
    clearInterval(this.timer);
  }
}
