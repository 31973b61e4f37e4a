import { abortError } from '../errors';

/**
 * A single-consumer queue between a push source (a gRPC stream) and an async pull loop, with
 * a weight-based high-water mark so the source can be paused (backpressure).
 */
export class ResponseQueue<T> {
  private readonly items: Array<{ item: T; weight: number }> = [];
  private weight = 0;
  private failure: unknown;
  private ended = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly highWater: number,
    private readonly onPressure: (paused: boolean) => void,
  ) {}

  push(item: T, weight: number): void {
    this.items.push({ item, weight });
    this.weight += weight;
    if (this.weight >= this.highWater) this.onPressure(true);
    this.notify();
  }

  /** Ends the queue with an error after the items already queued. */
  fail(error: unknown): void {
    if (this.ended || this.failure !== undefined) return;
    this.failure = error;
    this.notify();
  }

  /** Ends the queue after the items already queued. */
  end(): void {
    this.ended = true;
    this.notify();
  }

  /** Next item; `undefined` at the end; throws the failure after the queued items. */
  async next(signal: AbortSignal): Promise<T | undefined> {
    for (;;) {
      if (signal.aborted) throw abortError(signal);
      const head = this.items.shift();
      if (head) {
        const wasPaused = this.weight >= this.highWater;
        this.weight -= head.weight;
        if (wasPaused && this.weight < this.highWater) this.onPressure(false);
        return head.item;
      }
      if (this.failure !== undefined) throw this.failure;
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => {
        const onAbort = (): void => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
        this.wake = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  private notify(): void {
    this.wake?.();
  }
}
