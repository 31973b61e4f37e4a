import type { Etcd3 } from 'etcd3';

/**
 * Longest a new watch waits for the other prefix reads of its client (ms). Bounds how late its
 * first events can come when a read hangs (a frozen member holds it for a whole call deadline)
 * or reads keep being started; nothing is lost meanwhile, the watch starts from its revision.
 */
export const READ_GATE_MAX_WAIT_MS = 100;

/**
 * The prefix reads (`watchPrefix` snapshots and re-reads) in flight on one client, so that new
 * watches are opened after them rather than among them.
 *
 * Many watches started together (one `discover()` per service) each read their prefix and then
 * open their watch. Opening a watch while the other reads are still arriving (the shared
 * stream's set-up, a create per watch and its answer, and etcd's own work for them, on the same
 * connection and CPU) delayed those reads: measured 1.6-1.7x the time of the same reads alone
 * at 1,000 instances over 10 services, 1.2-1.4x with no watch opened at all (a probe timing each
 * reply and each watch create; bench/src/scale/discovery.scale.ts). Waiting costs a watch nothing but latency: it starts from
 * its snapshot's revision + 1 whenever it opens.
 */
export class ReadGate {
  private inFlight = 0;
  private readonly waiters = new Set<() => void>();

  /** Runs `read`, counted as in flight until it settles. */
  async read<T>(read: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await read();
    } finally {
      if (--this.inFlight === 0 && this.waiters.size > 0) {
        // Released on the next turn, so the reader that settled last hands its result on first.
        setImmediate(() => this.release());
      }
    }
  }

  /**
   * Resolves once no read is in flight (on the turn after the last one settles), after `maxMs`,
   * or when `signal` aborts, whichever comes first. Never rejects.
   */
  idle(signal: AbortSignal, maxMs = READ_GATE_MAX_WAIT_MS): Promise<void> {
    if (this.inFlight === 0 || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, maxMs);
      signal.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }

  private release(): void {
    if (this.inFlight > 0) return; // another read started meanwhile: wait for it too (bounded)
    for (const done of [...this.waiters]) done();
  }
}

/** One gate per client; a WeakMap entry lives and dies with its `Etcd3` object. */
const gates = new WeakMap<Etcd3, ReadGate>();

/** The {@link ReadGate} of `client`. */
export function readGateOf(client: Etcd3): ReadGate {
  let gate = gates.get(client);
  if (!gate) gates.set(client, (gate = new ReadGate()));
  return gate;
}
