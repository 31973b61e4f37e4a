import { experimental } from '@grpc/grpc-js';
import { preferZone, type Child } from './internal/child-set';
import { ChildSetBalancer } from './internal/child-set-balancer';

/** Name of the weighted round robin policy in a service config's `loadBalancingConfig`. */
export const WEIGHTED_ROUND_ROBIN_POLICY = 'etcd_weighted_round_robin';

/** Settings of the weighted round robin policy. */
export interface WeightedRoundRobinPolicyConfig {
  /** Prefer instances whose metadata `zone` equals this; fall back when none is ready. */
  readonly zone?: string;
}

class WrrConfig implements experimental.TypedLoadBalancingConfig {
  constructor(readonly zone: string | undefined) {}
  getLoadBalancerName(): string {
    return WEIGHTED_ROUND_ROBIN_POLICY;
  }
  toJsonObject(): object {
    return { [WEIGHTED_ROUND_ROBIN_POLICY]: this.zone ? { zone: this.zone } : {} };
  }
  static createFromJson(json: unknown): WrrConfig {
    const zone = (json as WeightedRoundRobinPolicyConfig | undefined)?.zone;
    return new WrrConfig(typeof zone === 'string' && zone ? zone : undefined);
  }
}

/**
 * Smooth weighted round robin (nginx's algorithm) over ready instances, each instance's share
 * being the `weight` in its registration metadata (default 1). With `zone` set, instances of
 * that zone are preferred while any is ready.
 */
class WeightedRoundRobinBalancer extends ChildSetBalancer<WrrConfig> {
  private readonly current = new Map<string, number>();

  constructor(helper: experimental.ChannelControlHelper) {
    super(helper, WEIGHTED_ROUND_ROBIN_POLICY, WrrConfig, new WrrConfig(undefined));
  }

  protected picker(ready: readonly Child[]): experimental.Picker {
    const candidates = preferZone(ready, this.config.zone);
    const weights = candidates.map((c) => (typeof c.metadata.weight === 'number' && c.metadata.weight > 0 ? c.metadata.weight : 1));
    const total = weights.reduce((a, b) => a + b, 0);
    const live = new Set(candidates.map((c) => c.address));
    for (const address of this.current.keys()) if (!live.has(address)) this.current.delete(address);
    return {
      pick: (args) => {
        let best = 0;
        let bestValue = -Infinity;
        for (let i = 0; i < candidates.length; i++) {
          const address = candidates[i]!.address;
          const value = (this.current.get(address) ?? 0) + weights[i]!;
          this.current.set(address, value);
          if (value > bestValue) {
            bestValue = value;
            best = i;
          }
        }
        const chosen = candidates[best]!;
        this.current.set(chosen.address, bestValue - total);
        return this.counted(chosen, chosen.leaf.getPicker().pick(args));
      },
    };
  }
}

/** Registers the {@link WEIGHTED_ROUND_ROBIN_POLICY} policy with grpc-js (idempotent). */
export function registerWeightedRoundRobinPolicy(): void {
  if (!experimental.isLoadBalancerNameRegistered(WEIGHTED_ROUND_ROBIN_POLICY)) {
    experimental.registerLoadBalancerType(WEIGHTED_ROUND_ROBIN_POLICY, WeightedRoundRobinBalancer, WrrConfig);
  }
}
