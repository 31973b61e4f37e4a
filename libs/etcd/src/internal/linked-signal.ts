/**
 * The LinkedAborts attached to each parent signal, woken by one listener per parent. Many
 * watches commonly share one shutdown signal; a listener each would pass Node's default of 10
 * per EventTarget and print a "possible memory leak" warning for what is not one.
 */
const children = new WeakMap<AbortSignal, Set<LinkedAbort>>();

function attach(parent: AbortSignal, child: LinkedAbort): void {
  let set = children.get(parent);
  if (!set) {
    const created = new Set<LinkedAbort>();
    children.set(parent, (set = created));
    parent.addEventListener(
      'abort',
      () => {
        children.delete(parent);
        for (const c of created) c.abort(parent.reason);
      },
      { once: true },
    );
  }
  set.add(child);
}

/**
 * An AbortController that also aborts when `parent` does, and detaches from `parent` when
 * disposed. Node 20's `AbortSignal.any` never releases what it links to a long-lived signal,
 * so a loop that calls it per operation leaks; this does not. However many are linked to one
 * parent, the parent carries a single abort listener.
 */
export class LinkedAbort implements Disposable {
  private readonly controller = new AbortController();

  constructor(private readonly parent: AbortSignal | undefined) {
    if (parent?.aborted) this.abort(parent.reason);
    else if (parent) attach(parent, this);
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
    if (this.parent) children.get(this.parent)?.delete(this);
  }
}
