import { abortError } from '../errors';

/**
 * Resolves after `ms` or rejects with `ABORTED` when the signal fires. `unref: true` for
 * background loops that must not keep the process alive; a caller awaiting the result wants
 * the default.
 */
export function abortableSleep(ms: number, signal?: AbortSignal, options: { unref?: boolean } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (options.unref) timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Options for {@link Backoff}. */
export interface BackoffOptions {
  /** First delay, in ms (default 100). */
  readonly initialMs?: number;
  /** Cap on the delay, in ms (default 5000). */
  readonly maxMs?: number;
}

/**
 * Exponential backoff with full jitter ("decorrelated" enough for reconnect storms):
 * each `next()` returns a random delay in [base/2, base], base doubling up to `maxMs`.
 */
export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 100;
    this.maxMs = options.maxMs ?? 5000;
  }

  /** The next delay, in ms. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 20));
    this.attempt++;
    return base / 2 + Math.random() * (base / 2);
  }

  /** Back to the initial delay (after a success). */
  reset(): void {
    this.attempt = 0;
  }
}
