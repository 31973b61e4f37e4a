/**
 * Load of one instance as the p2c policy sees it: calls in flight and a time-decayed typical
 * latency (an average of log latency, i.e. a geometric mean).
 *
 * A call counts as in flight from the moment it is picked, not from when grpc-js starts it:
 * grpc-js starts a picked call only once its call credentials have produced metadata, so calls
 * picked in one burst would otherwise all see the same stale counts and pile onto one
 * instance. A pick that grpc-js drops without starting (the subchannel left READY meanwhile, or
 * the call was cancelled) is uncounted when it is settled a while later, and counted again
 * should it start after all.
 *
 * Failed calls never make an instance look faster: an instance that fails fast would otherwise
 * draw ever more calls. Cancelled calls (the caller gave up) say nothing about the instance.
 */
export class InstanceLoad {
  /** Calls picked and not yet ended. */
  private inflightCount = 0;
  /** Decaying average of ln(latency in ms), meaningful once `samples > 0`. */
  private logAverage = 0;
  private samples = 0;
  private lastSample = 0;

  /**
   * @param decayMs Time constant of the average (read at each sample: the policy's config can change).
   * @param settleLater Called with every new pick; must call its `settle()` later, once the
   *   call would have started.
   */
  constructor(
    private readonly decayMs: () => number,
    private readonly settleLater: (pick: PickTracker) => void,
  ) {}

  /** Calls picked and not yet ended. */
  get inflight(): number {
    return this.inflightCount;
  }

  /** Counts a pick; the returned tracker receives the call's start and end. */
  picked(): PickTracker {
    this.inflightCount++;
    const tracker = new PickTracker(this);
    this.settleLater(tracker);
    return tracker;
  }

  /** Decaying typical latency in ms (geometric mean), `undefined` until a call has completed. */
  get latencyMs(): number | undefined {
    return this.samples > 0 ? Math.exp(this.logAverage) : undefined;
  }

  /**
   * p2c's comparison: negative when this instance should take the next call rather than
   * `peer`, positive when `peer` should, 0 on a tie (the caller breaks ties at random).
   *
   * When both latency figures are trusted (see {@link TRUSTED_AFTER_SAMPLES}) and differ by
   * more than noise (see {@link similarLatency}), the lower `(in-flight + 1) x latency` wins.
   * Otherwise the latency figures say nothing and the fewer calls in flight win.
   *
   * Why not always the product: with every instance at 0 in flight (calls made one at a time)
   * the product is the latency alone, and only the chosen instance's figure is ever updated. Of
   * equal servers, the one whose figure happened to be lowest (the others' often began with a
   * slow first call on a new connection, 5-15 ms against 1.5 ms) then won every pair it was in,
   * while the others kept their stale figures: 300 calls over 3 equal servers went 203/97/0.
   * At 8 in flight the shut-out instance was picked only when the others were busiest, so its
   * samples were the slowest and it stayed at 10-15 % of the calls. Treating close figures as
   * equal lets in-flight counts and the random pair decide, as they already did for new
   * instances.
   */
  compare(peer: InstanceLoad): number {
    const mine = this.samples >= TRUSTED_AFTER_SAMPLES ? Math.exp(this.logAverage) : undefined;
    const theirs = peer.samples >= TRUSTED_AFTER_SAMPLES ? Math.exp(peer.logAverage) : undefined;
    if (mine === undefined || theirs === undefined || similarLatency(mine, theirs)) return this.inflightCount - peer.inflightCount;
    return (this.inflightCount + 1) * mine - (peer.inflightCount + 1) * theirs;
  }

  /** @internal Adjusts the in-flight count for a pick that was dropped or started late. */
  count(delta: 1 | -1): void {
    this.inflightCount = Math.max(0, this.inflightCount + delta);
  }

  /** @internal Adds a finished call's latency to the figure; a failure counts as at least twice the figure. */
  sample(latencyMs: number, now: number, outcome: CallOutcome): void {
    if (outcome === 'cancelled') return;
    if (outcome === 'failed') {
      if (this.samples === 0) return;
      latencyMs = Math.max(latencyMs, 2 * Math.exp(this.logAverage));
    }
    // Time-decayed average (go-zero's and Kratos's), of log latency: a geometric mean, which
    // one stalled call hardly moves (one 100 ms call among 20 of 2 ms raises it 1.2x, the
    // plain mean 3.5x) while a server 10x slower on every call is still 10x slower. Calls
    // stuck on an instance count through its in-flight calls. The first samples are averaged
    // plainly, so the starting figure is learnt from the first calls rather than assumed.
    const weight = Math.min(this.samples / (this.samples + 1), Math.exp(-(now - this.lastSample) / this.decayMs()));
    this.logAverage = this.logAverage * weight + Math.log(Math.max(latencyMs, MIN_LATENCY_MS)) * (1 - weight);
    this.samples++;
    this.lastSample = now;
  }
}

/** Latencies below this (ms) are taken as this, to keep the log finite. */
const MIN_LATENCY_MS = 0.01;

/**
 * Completed calls before an instance's latency figure steers p2c; until then it is compared on
 * in-flight calls alone. The first samples are a plain mean, and its first call (a new
 * connection, code not yet optimised) or a stall of a busy machine can take 10-100 ms against
 * 1.5 ms: one such call among 20 stays well within {@link similarLatency}'s band, while a
 * truly slow instance is costed after 20 calls.
 */
export const TRUSTED_AFTER_SAMPLES = 20;

/** Latency figures at most this factor apart ... */
const SIMILAR_LATENCY_FACTOR = 1.5;
/** ... plus this many ms (sub-millisecond figures jitter by more than 1.5x) count as equal. */
const SIMILAR_LATENCY_MS = 1;

/**
 * Whether two latency figures (ms) are too close to tell apart from noise: the larger is at
 * most 1.5 x the smaller + 1 ms. Measured on a loaded 2-core machine, the figures of equal
 * servers stayed within 1.25x of each other (1 or 8 calls in flight), while the servers p2c
 * must steer around are several times slower (10x in the tests, 2 ms against 20 ms in the
 * benchmark's stress case, still 3x end to end under load). A moderately slower server within
 * the band still gets fewer calls under concurrency: it holds each call longer, so its
 * in-flight count is higher.
 */
export function similarLatency(aMs: number, bMs: number): boolean {
  const [low, high] = aMs <= bMs ? [aMs, bMs] : [bMs, aMs];
  return high <= SIMILAR_LATENCY_FACTOR * low + SIMILAR_LATENCY_MS;
}

/** How a call ended, as far as the instance's figures are concerned. */
export type CallOutcome = 'ok' | 'failed' | 'cancelled';

/** One picked call's bookkeeping on its {@link InstanceLoad}. */
export class PickTracker {
  private counted = true;
  private startedAt: number | undefined;

  constructor(private readonly load: InstanceLoad) {}

  /** The call started on the instance's connection. */
  start(): void {
    this.startedAt = performance.now();
    if (!this.counted) {
      this.counted = true;
      this.load.count(1);
    }
  }

  /** The call ended (grpc-js reports the end of started calls only). */
  end(outcome: CallOutcome): void {
    if (this.startedAt === undefined) return;
    if (this.counted) {
      this.counted = false;
      this.load.count(-1);
    }
    const now = performance.now();
    this.load.sample(now - this.startedAt, now, outcome);
    this.startedAt = undefined;
  }

  /** Uncounts the pick if its call has not started by now. */
  settle(): void {
    if (this.startedAt === undefined && this.counted) {
      this.counted = false;
      this.load.count(-1);
    }
  }
}
