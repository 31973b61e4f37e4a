/**
 * An AbortController that also aborts when `parent` does, and detaches from `parent` when
 * disposed. Node 20's `AbortSignal.any` never releases what it links to a long-lived signal,
 * so a loop that calls it per operation leaks; this does not.
 */
export class LinkedAbort implements Disposable {
  private readonly controller = new AbortController();
  private readonly onAbort: () => void;

  constructor(private readonly parent: AbortSignal | undefined) {
    this.onAbort = () => this.controller.abort(parent?.reason);
    if (parent?.aborted) this.onAbort();
    else parent?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Aborts when `abort()` is called or the parent aborts. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Aborts this signal only. */
  abort(reason?: unknown): void {
    this.controller.abort(reason);
  }

  /** Detaches from the parent. */
  [Symbol.dispose](): void {
    this.parent?.removeEventListener('abort', this.onAbort);
  }
}
