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
 * Whether `budgetMs` has passed since `since`, by the monotonic or the wall clock, whichever
 * says more. The wall clock catches a machine that slept (the monotonic clock stood still, the
 * lease's TTL did not); a wall clock set backwards is ignored, one set forwards counts (which
 * fails safe: the session is given up early).
 */
export function budgetSpent(since: ClockReading, now: ClockReading, budgetMs: number): boolean {
  return Math.max(now.monoMs - since.monoMs, now.wallMs - since.wallMs) >= budgetMs;
}

/** Reads both clocks. */
export function readClocks(): ClockReading {
  return { monoMs: performance.now(), wallMs: Date.now() };
}

/**
 * A cheap timer-drift check: every `intervalMs` it compares both clocks with the previous tick
 * and calls `onGap` when more than twice the interval passed (the event loop was blocked, or
 * the machine slept). The timer is unref'd.
 */
export class StallGuard {
  private readonly timer: NodeJS.Timeout;
  private last = readClocks();

  constructor(onGap: () => void, options: StallGuardOptions = {}) {
    const intervalMs = options.intervalMs ?? 100;
    if (!Number.isFinite(intervalMs) || intervalMs <= 0) throw new RangeError(`stallGuard.intervalMs must be > 0, got ${intervalMs}`);
    this.timer = setInterval(() => {
      const now = readClocks();
      const gap = Math.max(now.monoMs - this.last.monoMs, now.wallMs - this.last.wallMs);
      this.last = now;
      if (gap > 2 * intervalMs) onGap();
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the timer. Idempotent. */
  stop(): void {
    clearInterval(this.timer);
  }
}
