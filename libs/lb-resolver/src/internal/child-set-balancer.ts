import { experimental, type ChannelOptions } from '@grpc/grpc-js';
import { serviceNameFrom } from '../instance-attributes';
import { ChildSet, type Child } from './child-set';
import { recordPick } from './metrics';

/**
 * Base of the custom policies: one {@link ChildSet} of leaf subchannels, the config type
 * check, and the LoadBalancer methods they all share. A policy supplies its config class, its
 * picker over the READY children, and optionally what to do after an address update.
 */
export abstract class ChildSetBalancer<Config extends experimental.TypedLoadBalancingConfig> implements experimental.LoadBalancer {
  protected readonly children: ChildSet;
  protected config: Config;
  /** Service name of the channel's target, for metrics (`''` when not resolved by etcd). */
  private service = '';

  constructor(
    helper: experimental.ChannelControlHelper,
    private readonly policyName: string,
    private readonly configClass: abstract new (...args: never[]) => Config,
    defaultConfig: Config,
  ) {
    this.config = defaultConfig;
    this.children = new ChildSet(helper, this, policyName, (ready) => this.picker(ready));
  }

  /** Builds the picker over the READY children. */
  protected abstract picker(ready: readonly Child[]): experimental.Picker;

  /**
   * Returns `result`, counting it in `etcd_patterns.lb_resolver.picks` when it sends the call to
   * `child` (a COMPLETE pick). Policies pass every pick of a child through here.
   */
  protected counted(child: Child, result: experimental.PickResult): experimental.PickResult {
    if (result.pickResultType === experimental.PickResultType.COMPLETE) recordPick(this.service, child.address, this.policyName);
    return result;
  }

  /** Called after each accepted address update (e.g. to drop statistics of removed addresses). */
  protected afterUpdate(): void {
    // nothing by default
  }

  updateAddressList(
    endpoints: experimental.StatusOr<experimental.Endpoint[]>,
    config: experimental.TypedLoadBalancingConfig,
    options: ChannelOptions,
    note: string,
  ): boolean {
    if (!(config instanceof this.configClass)) return false;
    this.config = config;
    this.service = serviceNameFrom(options);
    this.children.update(endpoints, options, note);
    this.afterUpdate();
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
    return this.policyName;
  }
}
