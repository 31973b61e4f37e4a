import { checkOnRead } from '@etcd-patterns/etcd';

/**
 * A signal that fires when `parent` fires (checked on every read, like `parent` itself) or when
 * {@link kick} has not been called for `idleMs` (with `idleReason()`). The timer is unref()ed.
 * Call {@link dispose} when the operation is over.
 */
export class IdleSignal {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private idleCheck = true;
  private readonly onParentAbort = (): void => this.controller.abort(this.parent.reason);

  constructor(
    private readonly parent: AbortSignal,
    idleMs: number,
    idleReason: () => unknown,
  ) {
    checkOnRead(this.controller.signal, () => {
      if (this.parent.aborted) this.controller.abort(this.parent.reason);
    });
    parent.addEventListener('abort', this.onParentAbort, { once: true });
    this.timer = setTimeout(() => this.controller.abort(idleReason()), idleMs);
    this.timer.unref();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Progress was made: the idle time starts again. */
  kick(): void {
    if (this.idleCheck) this.timer.refresh();
  }

  /** No more idle checks (e.g. the stream ended; what follows is local work). */
  stopIdleCheck(): void {
    this.idleCheck = false;
    clearTimeout(this.timer);
  }

  /** Stops listening to `parent` and the timer. Idempotent. */
  dispose(): void {
    this.stopIdleCheck();
    this.parent.removeEventListener('abort', this.onParentAbort);
  }
}
