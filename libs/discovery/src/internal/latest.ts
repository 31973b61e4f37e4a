/**
 * A value that changes over time, readable as an async iterable by any number of consumers.
 * Each consumer gets the latest value when it asks (intermediate values are conflated), so a
 * slow consumer never makes memory grow.
 */
export class Latest<T> {
  private value: T | undefined;
  private has = false;
  private version = 0;
  private ended = false;
  private readonly wakers = new Set<() => void>();

  /** Publishes a new value. */
  set(value: T): void {
    this.value = value;
    this.has = true;
    this.version++;
    this.wake();
  }

  /** Ends every iteration after it has seen the latest value. */
  end(): void {
    this.ended = true;
    this.wake();
  }

  /** Iterates: the current value (if any), then each newer one. */
  async *iterate(signal?: AbortSignal): AsyncGenerator<T> {
    let seen = 0;
    for (;;) {
      if (signal?.aborted) return;
      if (this.has && this.version !== seen) {
        seen = this.version;
        yield this.value as T;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.wakers.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        this.wakers.add(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }

  private wake(): void {
    for (const waker of [...this.wakers]) waker();
  }
}
