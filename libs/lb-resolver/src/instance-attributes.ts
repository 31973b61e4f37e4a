import { experimental, type ChannelOptions } from '@grpc/grpc-js';
import type { InstanceMetadata } from '@etcd-patterns/discovery';

/**
 * Channel-option key under which the resolver hands the balancer each instance's metadata,
 * keyed by `host:port`. The grpc-js prefix keeps it out of subchannel arguments, so a metadata
 * change does not reconnect anything.
 */
export const INSTANCE_METADATA_KEY = `${experimental.SUBCHANNEL_ARGS_EXCLUDE_KEY_PREFIX}etcd_patterns.instance_metadata`;

/** Metadata of every resolved instance, by `host:port`. */
export type InstanceMetadataMap = ReadonlyMap<string, InstanceMetadata>;

/**
 * Channel-option key under which the resolver hands the balancer the service name of the
 * target (`greeter` for `etcd:///greeter`), for metrics. Excluded from subchannel arguments too.
 * @internal
 */
export const INSTANCE_SERVICE_KEY = `${experimental.SUBCHANNEL_ARGS_EXCLUDE_KEY_PREFIX}etcd_patterns.service`;

/** The service name a balancer received with its address list (`''` if none). @internal */
export function serviceNameFrom(options: ChannelOptions): string {
  const value = (options as Record<string, unknown>)[INSTANCE_SERVICE_KEY];
  return typeof value === 'string' ? value : '';
}

/** Reads the metadata map a balancer received with its address list (empty if none). */
export function instanceMetadataFrom(options: ChannelOptions): InstanceMetadataMap {
  const value = (options as Record<string, unknown>)[INSTANCE_METADATA_KEY];
  return value instanceof Map ? (value as InstanceMetadataMap) : new Map();
}
