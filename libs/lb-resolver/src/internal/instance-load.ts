/**
 * Load of one instance as the p2c policy sees it: calls in flight and a time-decayed average
 * latency.
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
  /** Decaying average latency in ms, meaningful once `samples > 0`. */
  private average = 0;
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

  /**
   * `(in-flight + 1) x average latency`, the p2c score (lower is better). Until a call has
   * completed the instance is taken to be as fast as `peer` (or 1 ms when neither has a figure),
   * so a new instance is compared on in-flight calls alone.
   */
  score(peer: InstanceLoad): number {
    const latency = this.samples > 0 ? this.average : peer.samples > 0 ? peer.average : 1;
    return (this.inflightCount + 1) * latency;
  }

  /** @internal Adjusts the in-flight count for a pick that was dropped or started late. */
  count(delta: 1 | -1): void {
    this.inflightCount = Math.max(0, this.inflightCount + delta);
  }

  /** @internal Adds a finished call's latency to the average; a failure counts as at least twice the average. */
  sample(latencyMs: number, now: number, outcome: CallOutcome): void {
    if (outcome === 'cancelled') return;
    if (outcome === 'failed') {
      if (this.samples === 0) return;
      latencyMs = Math.max(latencyMs, 2 * this.average);
    }
    // Time-decayed average (go-zero's and Kratos's). The first samples are averaged plainly,
    // so the starting figure is learnt from the first calls rather than assumed.
    const weight = Math.min(this.samples / (this.samples + 1), Math.exp(-(now - this.lastSample) / this.decayMs()));
    this.average = this.average * weight + latencyMs * (1 - weight);
    this.samples++;
    this.lastSample = now;
  }
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
