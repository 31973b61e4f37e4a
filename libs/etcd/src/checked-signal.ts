const proto = AbortSignal.prototype;
const abortedOf = Object.getOwnPropertyDescriptor(proto, 'aborted')!.get!;
const reasonOf = Object.getOwnPropertyDescriptor(proto, 'reason')!.get!;

/**
 * Makes `signal` run `check` every time it is read (`aborted`, `reason`, `throwIfAborted()`),
 * before answering. `check` may abort the signal's controller, synchronously: the read then
 * already sees it aborted, and `abort` listeners run at that moment.
 *
 * Why: a timer cannot fire while the event loop is blocked (a CPU-heavy job, a long GC pause, a
 * synchronous read, a laptop resuming from sleep), so an ownership signal driven only by timers
 * still says "held" right after a stall that outlasted the lease, exactly when another process
 * may already own the lock. Ownership signals of these libraries are checked against the
 * monotonic clock at the moment they are read, including when the reader kept a reference to the
 * signal from earlier.
 *
 * `check` must be cheap (it runs on every read) and must not throw; reads from inside `check`
 * do not run it again. Returns `signal`.
 */
export function checkOnRead(signal: AbortSignal, check: () => void): AbortSignal {
  let checking = false;
  const run = (): void => {
    if (checking || abortedOf.call(signal)) return;
    checking = true;
    try {
      check();
    } finally {
      checking = false;
    }
  };
  Object.defineProperties(signal, {
    aborted: {
      configurable: true,
      get: () => (run(), abortedOf.call(signal) as boolean),
    },
    reason: {
      configurable: true,
      get: () => (run(), reasonOf.call(signal) as unknown),
    },
    throwIfAborted: {
      configurable: true,
      writable: true,
      value: () => {
        run();
        proto.throwIfAborted.call(signal);
      },
    },
  });
  return signal;
}
