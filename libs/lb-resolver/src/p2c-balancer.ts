import { experimental, status } from '@grpc/grpc-js';
import { preferZone, type Child } from './internal/child-set';
import { ChildSetBalancer } from './internal/child-set-balancer';
import { InstanceLoad, type CallOutcome, type PickTracker } from './internal/instance-load';
import { wrapPick } from './internal/wrap-pick';

/** Name of the power-of-two-choices policy in a service config's `loadBalancingConfig`. */
export const P2C_POLICY = 'etcd_p2c';

/**
 * Settings of the p2c policy (all optional).
 *
 * The latency figures assume unary calls: a stream counts as in flight for its whole life and
 * its duration enters the average, so balance long-lived streams on a channel of their own
 * (round robin).
 */
export interface P2cPolicyConfig {
  /** Prefer instances whose metadata `zone` equals this; fall back when none is ready. */
  readonly zone?: string;
  /**
   * Consecutive failed calls before ejection (default 5). Failures are the statuses that speak
   * of the instance: UNAVAILABLE, INTERNAL, UNKNOWN, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED,
   * UNIMPLEMENTED, DATA_LOSS. Application errors (NOT_FOUND, INVALID_ARGUMENT, ...) are answers;
   * CANCELLED (the caller gave up) is neither.
   */
  readonly ejectAfterFailures?: number;
  /** How long an ejected instance gets no calls, in ms. Default 10000. */
  readonly ejectionCooldownMs?: number;
  /** Time constant of the latency average, in ms (go-zero uses 10 s). Default 10000. */
  readonly decayMs?: number;
}

const FAILURES: ReadonlySet<status> = new Set([
  status.UNAVAILABLE,
  status.INTERNAL,
  status.UNKNOWN,
  status.DEADLINE_EXCEEDED,
  status.RESOURCE_EXHAUSTED,
  status.UNIMPLEMENTED,
  status.DATA_LOSS,
]);
/** A pick whose call has not started this long after was dropped by grpc-js. */
const SETTLE_AFTER_MS = 1000;
/** An idle instance not picked for this long is picked once to refresh its latency. */
const FORCE_PICK_MS = 1000;

class P2cConfig implements experimental.TypedLoadBalancingConfig {
  constructor(readonly settings: Required<Omit<P2cPolicyConfig, 'zone'>> & { zone?: string }) {}
  getLoadBalancerName(): string {
    return P2C_POLICY;
  }
  toJsonObject(): object {
    return { [P2C_POLICY]: { ...this.settings } };
  }
  static createFromJson(json: unknown): P2cConfig {
    const o = (json ?? {}) as P2cPolicyConfig;
    const positive = (v: unknown, d: number): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : d);
    return new P2cConfig({
      zone: typeof o.zone === 'string' && o.zone ? o.zone : undefined,
      ejectAfterFailures: positive(o.ejectAfterFailures, 5),
      ejectionCooldownMs: positive(o.ejectionCooldownMs, 10_000),
      decayMs: positive(o.decayMs, 10_000),
    });
  }
}

/** What the policy keeps per instance. */
interface Stats {
  load: InstanceLoad;
  lastPick: number;
  failures: number;
  ejectedUntil: number;
}

/**
 * Power of two choices, as in go-zero and Kratos: pick two random ready instances and send the
 * call to the one with the lower `(in-flight + 1) x decaying typical latency`, or, when their
 * latencies are too close to tell apart from noise, to the one with fewer calls in flight (see
 * {@link InstanceLoad.compare}: without that, one of several equal servers took nearly every
 * call made one at a time). A stalled or paused instance keeps its calls in flight, so it looks
 * busier with every call it is given. An idle instance not picked for a second is picked once to
 * refresh its figures. An instance whose calls fail `ejectAfterFailures` times in a row is
 * ejected for `ejectionCooldownMs` (unless every instance is ejected), then returns with fresh
 * figures. With `zone` set, instances of that zone are preferred.
 */
class P2cBalancer extends ChildSetBalancer<P2cConfig> {
  private readonly stats = new Map<string, Stats>();
  private unsettled: PickTracker[] = [];

  constructor(helper: experimental.ChannelControlHelper) {
    super(helper, P2C_POLICY, P2cConfig, P2cConfig.createFromJson({}));
  }

  protected override afterUpdate(): void {
    const live = this.children.addresses();
    for (const address of this.stats.keys()) if (!live.has(address)) this.stats.delete(address);
  }

  private statsOf(address: string): Stats {
    let s = this.stats.get(address);
    if (!s) {
      s = { load: this.newLoad(), lastPick: 0, failures: 0, ejectedUntil: 0 };
      this.stats.set(address, s);
    }
    return s;
  }

  private newLoad(): InstanceLoad {
    return new InstanceLoad(() => this.config.settings.decayMs, (pick) => this.settleLater(pick));
  }

  /**
   * Picks grpc-js dropped without starting are uncounted a second later: long enough for slow
   * call credentials, short enough that a dropped pick barely skews the counts.
   */
  private settleLater(pick: PickTracker): void {
    if (this.unsettled.push(pick) > 1) return;
    setTimeout(() => {
      const picks = this.unsettled;
      this.unsettled = [];
      for (const p of picks) p.settle();
    }, SETTLE_AFTER_MS).unref();
  }

  protected picker(ready: readonly Child[]): experimental.Picker {
    const settings = this.config.settings;
    return {
      pick: (args) => {
        const now = performance.now();
        const healthy = ready.filter((c) => this.statsOf(c.address).ejectedUntil <= now);
        const candidates = preferZone(healthy.length > 0 ? healthy : ready, settings.zone);
        const chosen = this.choose(candidates, now);
        const s = this.statsOf(chosen.address);
        s.lastPick = now;
        const result = this.counted(chosen, chosen.leaf.getPicker().pick(args));
        if (result.pickResultType !== experimental.PickResultType.COMPLETE) return result;
        const tracker = s.load.picked();
        return wrapPick(
          result,
          () => tracker.start(),
          (code) => {
            const outcome = outcomeOf(code);
            tracker.end(outcome);
            this.record(s, outcome);
          },
        );
      },
    };
  }

  private choose(candidates: readonly Child[], now: number): Child {
    if (candidates.length === 1) return candidates[0]!;
    const i = Math.floor(Math.random() * candidates.length);
    let j = Math.floor(Math.random() * (candidates.length - 1));
    if (j >= i) j++;
    const a = candidates[i]!;
    const b = candidates[j]!;
    const sa = this.statsOf(a.address);
    const sb = this.statsOf(b.address);
    if (this.due(sa, now)) return a;
    if (this.due(sb, now)) return b;
    // a and b are in random order, so a tie (as between equal servers one call at a time) is a coin toss.
    return sa.load.compare(sb.load) <= 0 ? a : b;
  }

  /** An idle instance not picked for a while is picked once to refresh its figures (go-zero's forcePick). */
  private due(s: Stats, now: number): boolean {
    return s.lastPick !== 0 && now - s.lastPick > FORCE_PICK_MS && s.load.inflight === 0;
  }

  private record(s: Stats, outcome: CallOutcome): void {
    if (outcome === 'cancelled') return;
    if (outcome === 'ok') {
      s.failures = 0;
      return;
    }
    if (++s.failures >= this.config.settings.ejectAfterFailures) {
      s.failures = 0;
      s.ejectedUntil = performance.now() + this.config.settings.ejectionCooldownMs;
      // It returns as a new instance: figures from before its trouble say nothing now.
      s.load = this.newLoad();
      // The picker must stop choosing it now: rebuild outside the call's completion path.
      setImmediate(() => this.children.recompute());
    }
  }
}

function outcomeOf(code: status): CallOutcome {
  if (code === status.CANCELLED) return 'cancelled';
  return FAILURES.has(code) ? 'failed' : 'ok';
}

/** Registers the {@link P2C_POLICY} policy with grpc-js (idempotent). */
export function registerP2cPolicy(): void {
  if (!experimental.isLoadBalancerNameRegistered(P2C_POLICY)) {
    experimental.registerLoadBalancerType(P2C_POLICY, P2cBalancer, P2cConfig);
  }
}
