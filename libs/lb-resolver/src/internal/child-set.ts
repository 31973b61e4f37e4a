import { connectivityState, experimental, type ChannelOptions } from '@grpc/grpc-js';
import type { InstanceMetadata } from '@etcd-patterns/discovery';
import { instanceMetadataFrom } from '../instance-attributes';

/** One backend: its leaf balancer (a single subchannel) and what the policies know of it. */
export interface Child {
  readonly address: string;
  readonly leaf: experimental.LeafLoadBalancer;
  metadata: InstanceMetadata;
}

/**
 * The state a policy needs to build a picker: READY children in address order and the
 * policy's own per-child statistics, which survive picker rebuilds and address updates.
 */
export type PickerFactory = (ready: readonly Child[]) => experimental.Picker;

/**
 * Shared machinery of the custom policies: one `LeafLoadBalancer` per address, kept across
 * address-list updates (a new list only adds and removes subchannels, it never reconnects
 * the ones that stay), every child kept connected, and the aggregate connectivity state.
 */
export class ChildSet {
  private readonly children = new Map<string, Child>();
  private readonly helper: experimental.ChannelControlHelper;
  private state: connectivityState | undefined;
  private paused = false;
  private lastError: string | null = null;
  private lastPublishedError: string | null | undefined;

  constructor(
    private readonly parent: experimental.ChannelControlHelper,
    private readonly owner: experimental.LoadBalancer,
    private readonly name: string,
    private readonly makePicker: PickerFactory,
  ) {
    this.helper = experimental.createChildChannelControlHelper(parent, {
      updateState: (_state, _picker, error) => {
        if (error) this.lastError = error;
        this.recompute();
      },
    });
  }

  /** Addresses currently balanced over. */
  addresses(): ReadonlySet<string> {
    return new Set(this.children.keys());
  }

  /** Applies a resolver result. */
  update(endpoints: experimental.StatusOr<experimental.Endpoint[]>, options: ChannelOptions, note: string): void {
    if (!endpoints.ok) {
      if (this.children.size === 0) {
        this.publish(connectivityState.TRANSIENT_FAILURE, new experimental.UnavailablePicker(endpoints.error), endpoints.error.details);
      }
      return;
    }
    const metadata = instanceMetadataFrom(options);
    // Keyed by `host:port`, the form the resolver keys metadata by (one address per endpoint).
    const wanted = new Map(
      endpoints.value.map((e) => [e.addresses[0] ? experimental.subchannelAddressToString(e.addresses[0]) : experimental.endpointToString(e), e]),
    );
    this.paused = true;
    for (const [address, child] of this.children) {
      if (!wanted.has(address)) {
        child.leaf.destroy();
        this.children.delete(address);
      }
    }
    for (const [address, endpoint] of wanted) {
      const existing = this.children.get(address);
      if (existing) {
        existing.metadata = metadata.get(address) ?? {};
        continue;
      }
      const leaf = new experimental.LeafLoadBalancer(endpoint, this.helper, options, note);
      this.children.set(address, { address, leaf, metadata: metadata.get(address) ?? {} });
      leaf.startConnecting();
    }
    this.paused = false;
    if (this.children.size === 0) {
      const message = `${this.name}: no addresses resolved (${note})`;
      this.publish(connectivityState.TRANSIENT_FAILURE, new experimental.UnavailablePicker({ details: message }), message);
      return;
    }
    this.recompute();
  }

  /** Rebuilds the picker (e.g. after a policy-level change such as an ejection). */
  recompute(): void {
    if (this.paused) return;
    const all = [...this.children.values()];
    const ready = all.filter((c) => c.leaf.getConnectivityState() === connectivityState.READY);
    if (ready.length > 0) {
      this.publish(connectivityState.READY, this.makePicker(ready), null);
    } else if (all.some((c) => c.leaf.getConnectivityState() === connectivityState.CONNECTING)) {
      this.publish(connectivityState.CONNECTING, new experimental.QueuePicker(this.owner), null);
    } else if (all.some((c) => c.leaf.getConnectivityState() === connectivityState.TRANSIENT_FAILURE)) {
      const message = `${this.name}: no connection established. Last error: ${this.lastError}`;
      this.publish(connectivityState.TRANSIENT_FAILURE, new experimental.UnavailablePicker({ details: message }), message);
    } else {
      this.publish(connectivityState.IDLE, new experimental.QueuePicker(this.owner), null);
    }
    for (const child of all) if (child.leaf.getConnectivityState() === connectivityState.IDLE) child.leaf.exitIdle();
  }

  /** Asks idle children to connect (what grpc-js's QueuePicker calls). Publishes nothing. */
  exitIdle(): void {
    for (const child of this.children.values()) {
      if (child.leaf.getConnectivityState() === connectivityState.IDLE) child.leaf.exitIdle();
    }
  }

  /** Destroys every child. */
  destroy(): void {
    for (const child of this.children.values()) child.leaf.destroy();
    this.children.clear();
  }

  private publish(state: connectivityState, picker: experimental.Picker, error: string | null): void {
    // A new queueing picker makes the channel re-pick every queued call, and a QueuePicker's
    // pick calls exitIdle(): re-publishing an unchanged non-READY state would loop forever.
    if (state !== connectivityState.READY && state === this.state && error === this.lastPublishedError) return;
    this.lastPublishedError = error;
    if (this.state === connectivityState.READY && state !== connectivityState.READY) this.parent.requestReresolution();
    this.state = state;
    this.parent.updateState(state, picker, error);
  }
}

/** Restricts candidates to `zone` when any candidate is there; otherwise returns all. */
export function preferZone<T extends { metadata: InstanceMetadata }>(candidates: readonly T[], zone: string | undefined): readonly T[] {
  if (!zone) return candidates;
  const local = candidates.filter((c) => c.metadata.zone === zone);
  return local.length > 0 ? local : candidates;
}
