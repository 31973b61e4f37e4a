import { experimental, type ChannelOptions } from '@grpc/grpc-js';
import { ChildSet, preferZone, type Child } from './internal/child-set';

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
class WeightedRoundRobinBalancer implements experimental.LoadBalancer {
  private readonly children: ChildSet;
  private readonly current = new Map<string, number>();
  private config = new WrrConfig(undefined);

  constructor(helper: experimental.ChannelControlHelper) {
    this.children = new ChildSet(helper, this, WEIGHTED_ROUND_ROBIN_POLICY, (ready) => this.picker(ready));
  }

  updateAddressList(
    endpoints: experimental.StatusOr<experimental.Endpoint[]>,
    config: experimental.TypedLoadBalancingConfig,
    options: ChannelOptions,
    note: string,
  ): boolean {
    if (!(config instanceof WrrConfig)) return false;
    this.config = config;
    this.children.update(endpoints, options, note);
    return true;
  }

  exitIdle(): void {
    this.children.exitIdle();
  }
  resetBackoff(): void {
    // Leaf subchannels own their connection backoff; nothing at this level.
  }
  destroy(): void {
    this.children.destroy();
  }
  getTypeName(): string {
    return WEIGHTED_ROUND_ROBIN_POLICY;
  }

  private picker(ready: readonly Child[]): experimental.Picker {
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
        return chosen.leaf.getPicker().pick(args);
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
