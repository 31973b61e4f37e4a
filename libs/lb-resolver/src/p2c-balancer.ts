import { experimental, status } from '@grpc/grpc-js';
import { preferZone, type Child } from './internal/child-set';
import { ChildSetBalancer } from './internal/child-set-balancer';
import { wrapPick } from './internal/wrap-pick';

/** Name of the power-of-two-choices policy in a service config's `loadBalancingConfig`. */
export const P2C_POLICY = 'etcd_p2c';

/** Settings of the p2c policy (all optional). */
export interface P2cPolicyConfig {
  /** Prefer instances whose metadata `zone` equals this; fall back when none is ready. */
  readonly zone?: string;
  /** Consecutive failed calls (UNAVAILABLE, INTERNAL, UNKNOWN, DEADLINE_EXCEEDED) before ejection. Default 5. */
  readonly ejectAfterFailures?: number;
  /** How long an ejected instance gets no calls, in ms. Default 10000. */
  readonly ejectionCooldownMs?: number;
  /** Time constant of the latency average, in ms (go-zero uses 10 s). Default 10000. */
  readonly decayMs?: number;
}

const FAILURES: ReadonlySet<status> = new Set([status.UNAVAILABLE, status.INTERNAL, status.UNKNOWN, status.DEADLINE_EXCEEDED]);
// An instance not picked for this long is picked once to refresh its latency (go-zero's forcePick).
const FORCE_PICK_MS = 1000;
const INITIAL_LATENCY_MS = 1;
const MAX_SAMPLE_WEIGHT = 0.8;

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
    const positive = (v: unknown, d: number): number => (typeof v === 'number' && v > 0 ? v : d);
    return new P2cConfig({
      zone: typeof o.zone === 'string' && o.zone ? o.zone : undefined,
      ejectAfterFailures: positive(o.ejectAfterFailures, 5),
      ejectionCooldownMs: positive(o.ejectionCooldownMs, 10_000),
      decayMs: positive(o.decayMs, 10_000),
    });
  }
}

/** Live statistics of one instance. */
interface Stats {
  inflight: number;
  latencyMs: number;
  lastUpdate: number;
  lastPick: number;
  failures: number;
  ejectedUntil: number;
}

/**
 * Power of two choices, as in go-zero and Kratos: pick two random ready instances and send the
 * call to the one with the lower `(in-flight + 1) x decaying average latency`. An instance whose
 * calls fail `ejectAfterFailures` times in a row is ejected for `ejectionCooldownMs` (unless every
 * instance is ejected), then returns. With `zone` set, instances of that zone are preferred.
 */
class P2cBalancer extends ChildSetBalancer<P2cConfig> {
  private readonly stats = new Map<string, Stats>();

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
      s = { inflight: 0, latencyMs: INITIAL_LATENCY_MS, lastUpdate: performance.now(), lastPick: 0, failures: 0, ejectedUntil: 0 };
      this.stats.set(address, s);
    }
    return s;
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
        let startedAt = 0;
        return wrapPick(
          chosen.leaf.getPicker().pick(args),
          () => {
            s.inflight++;
            startedAt = performance.now();
          },
          (code) => this.record(s, code, startedAt),
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
    if (now - sa.lastPick > FORCE_PICK_MS && sa.lastPick !== 0) return a;
    if (now - sb.lastPick > FORCE_PICK_MS && sb.lastPick !== 0) return b;
    return (sa.inflight + 1) * sa.latencyMs <= (sb.inflight + 1) * sb.latencyMs ? a : b;
  }

  private record(s: Stats, code: status, startedAt: number): void {
    const now = performance.now();
    s.inflight = Math.max(0, s.inflight - 1);
    const latency = Math.max(0, now - startedAt);
    // Time-decayed average (go-zero's), but every sample moves it by at least 20 %: under
    // load samples arrive microseconds apart and a purely time-based weight would never learn.
    const weight = Math.min(MAX_SAMPLE_WEIGHT, Math.exp(-(now - s.lastUpdate) / this.config.settings.decayMs));
    s.latencyMs = s.latencyMs * weight + latency * (1 - weight);
    s.lastUpdate = now;
    if (FAILURES.has(code)) {
      s.failures++;
      if (s.failures >= this.config.settings.ejectAfterFailures) {
        s.failures = 0;
        s.ejectedUntil = now + this.config.settings.ejectionCooldownMs;
        // The picker must stop choosing it now: rebuild outside the call's completion path.
        setImmediate(() => this.children.recompute());
      }
    } else {
      s.failures = 0;
    }
  }
}

/** Registers the {@link P2C_POLICY} policy with grpc-js (idempotent). */
export function registerP2cPolicy(): void {
  if (!experimental.isLoadBalancerNameRegistered(P2C_POLICY)) {
    experimental.registerLoadBalancerType(P2C_POLICY, P2cBalancer, P2cConfig);
  }
}
