import { SIGN_IN_ATTEMPTS_PER_MINUTE } from '@etcd-patterns/console-contract';

/** Options of {@link SignInLimiter}. */
export interface SignInLimiterOptions {
  /** Attempts per client address per minute (the bucket's size; it refills at this rate). */
  readonly attemptsPerMinute: number;
  /** Addresses tracked at most; beyond, full buckets are forgotten first (default 10000). */
  readonly maxAddresses?: number;
  /** Clock, for tests (default `Date.now`). */
  readonly now?: () => number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/**
 * A token bucket per client address for sign-in attempts (chosen over `@nestjs/throttler`: one
 * route needs it, and it is a few lines with no guard wiring or decorator metadata, which the
 * apps do not have under tsx). Every attempt takes a token, successful or not; a bucket holds
 * `attemptsPerMinute` tokens and refills continuously at that rate, so a burst of that many is
 * allowed, then one attempt per `60 / attemptsPerMinute` seconds.
 */
export class SignInLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;

  constructor(private readonly options: SignInLimiterOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Takes a token for `address`.
   * @returns 0 when the attempt may go ahead, else the seconds until the next one may.
   */
  take(address: string): number {
    const now = this.now();
    const capacity = this.options.attemptsPerMinute;
    const perMs = capacity / 60_000;
    const bucket = this.buckets.get(address) ?? { tokens: capacity, updatedMs: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.updatedMs) * perMs);
    bucket.updatedMs = now;
    this.buckets.delete(address); // re-inserted last: the map stays in least-recently-used order
    this.buckets.set(address, bucket);
    this.prune(now, capacity, perMs);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
  }

  private prune(now: number, capacity: number, perMs: number): void {
    const max = this.options.maxAddresses ?? 10_000;
    if (this.buckets.size <= max) return;
    for (const [address, b] of this.buckets) {
      if (this.buckets.size <= max) return;
      if (b.tokens + (now - b.updatedMs) * perMs >= capacity) this.buckets.delete(address);
    }
    // Still too many: forget the least recently used (they are the first in the map).
    for (const address of this.buckets.keys()) {
      if (this.buckets.size <= max) return;
      this.buckets.delete(address);
    }
  }
}

/** The console's sign-in limiter: {@link SIGN_IN_ATTEMPTS_PER_MINUTE} per address (one per app instance). */
export class SignInAttempts extends SignInLimiter {
  constructor() {
    super({ attemptsPerMinute: SIGN_IN_ATTEMPTS_PER_MINUTE });
  }
}
