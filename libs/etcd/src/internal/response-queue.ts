import { abortError } from '../errors';

/** A single-consumer queue between a push source (a gRPC stream) and an async pull loop. Items are never `undefined`. */
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

  /**
   * The next queued item without waiting, or `undefined` when none is queued (or `signal`
   * aborted): then {@link next} waits, ends or throws. A reader that falls behind takes what is
   * queued this way without a promise and a microtask turn per item.
   */
  take(signal: AbortSignal): T | undefined {
    if (signal.aborted || this.head >= this.items.length) return undefined;
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

  /** Next item; `undefined` at the end; throws the failure after the queued items. */
  async next(signal: AbortSignal): Promise<T | undefined> {
    for (;;) {
      if (signal.aborted) throw abortError(signal);
      const head = this.take(signal);
      if (head !== undefined) return head;
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
