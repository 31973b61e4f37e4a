import { abortError } from '@etcd-patterns/etcd';

// Why not AbortSignal.any(): on Node 20 a source signal keeps a reference to every dependent
// ever made from it (measured: about 60 bytes per call, never reclaimed), so linking each lock
// cycle to a session's long-lived `lost` signal leaks without bound. Plain listeners avoid that
// but trip MaxListenersExceededWarning past 10 per signal. So: one listener per source signal,
// fanning out to callbacks that are removed when the operation ends.
const fanouts = new WeakMap<AbortSignal, Set<(reason: unknown) => void>>();

/**
 * Calls `callback` synchronously when `source` fires (at once if it already has). Returns a
 * function that unregisters it; call it when the operation is over.
 */
export function onAbort(source: AbortSignal, callback: (reason: unknown) => void): () => void {
  if (source.aborted) {
    callback(source.reason);
    return () => undefined;
  }
  let callbacks = fanouts.get(source);
  if (!callbacks) {
    const set = new Set<(reason: unknown) => void>();
    callbacks = set;
    fanouts.set(source, set);
    source.addEventListener(
      'abort',
      () => {
        const all = [...set];
        set.clear();
        for (const cb of all) cb(source.reason);
      },
      { once: true },
    );
  }
  const set = callbacks;
  set.add(callback);
  return () => void set.delete(callback);
}

/**
 * A signal that fires, with the source's reason, when any of the sources fires or when
 * {@link abort} is called. {@link dispose} unlinks it from the sources (it then only fires
 * through {@link abort}).
 */
export class LinkedSignal implements Disposable {
  private readonly controller = new AbortController();
  private readonly unlinks: Array<() => void> = [];

  constructor(sources: ReadonlyArray<AbortSignal | undefined>) {
    for (const source of sources) {
      if (!source) continue;
      this.unlinks.push(onAbort(source, (reason) => this.abort(reason)));
      if (this.controller.signal.aborted) break;
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.controller.signal.aborted) return;
    this.controller.abort(reason);
    this.dispose();
  }

  dispose(): void {
    for (const unlink of this.unlinks.splice(0)) unlink();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * Settles with `promise`, or rejects with the signal's abort error as soon as `signal` fires.
 * The operation behind `promise` is not cancelled (etcd3 unary calls cannot be); its late
 * outcome is ignored.
 */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const unlink = onAbort(signal, () => {
      promise.catch(() => undefined);
      reject(abortError(signal));
    });
    promise.then(
      (value) => {
        unlink();
        resolve(value);
      },
      (error: unknown) => {
        unlink();
        reject(error);
      },
    );
  });
}
