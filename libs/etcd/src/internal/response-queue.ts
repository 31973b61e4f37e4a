import { abortError } from '../errors';

/** A single-consumer queue between a push source (a gRPC stream) and an async pull loop. */
export class ResponseQueue<T> {
  private items: T[] = [];
  private head = 0;
  private failure: unknown;
  private ended = false;
  private wake: (() => void) | undefined;
  private listened: AbortSignal | undefined;

  push(item: T): void {
    this.items.push(item);
    this.notify();
  }

  /** Ends the queue with an error after the items already queued. */
  fail(error: unknown): void {
    if (this.ended || this.failure !== undefined) return;
    this.failure = error;
    this.notify();
    this.unlisten();
  }

  /** Ends the queue after the items already queued. */
  end(): void {
    this.ended = true;
    this.notify();
    this.unlisten();
  }

  /** Next item; `undefined` at the end; throws the failure after the queued items. */
  async next(signal: AbortSignal): Promise<T | undefined> {
    for (;;) {
      if (signal.aborted) throw abortError(signal);
      if (this.head < this.items.length) {
        const head = this.items[this.head++]!;
        if (this.head === this.items.length) {
          this.items = [];
          this.head = 0;
        } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
          // A consumer that never quite catches up: drop the taken slots now and then.
          this.items = this.items.slice(this.head);
          this.head = 0;
        }
        return head;
      }
      if (this.failure !== undefined) throw this.failure;
      if (this.ended) return undefined;
      this.listen(signal);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }

  /**
   * Wakes a waiting `next` when `signal` aborts. One listener per signal for the queue's life,
   * not one per wait: a caught-up watch waits once per response, and adding and removing an
   * abort listener each time cost more than the wait itself.
   */
  private listen(signal: AbortSignal): void {
    if (this.listened === signal) return;
    this.listened?.removeEventListener('abort', this.onAbort);
    this.listened = signal;
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** An ended queue never waits again: it leaves the (longer-lived) signal. */
  private unlisten(): void {
    this.listened?.removeEventListener('abort', this.onAbort);
    this.listened = undefined;
  }

  private readonly onAbort = (): void => this.notify();

  private notify(): void {
    this.wake?.();
  }
}
