import { prefixRangeEnd, toEtcdError, toKeyValue, type Etcd3 } from '@etcd-patterns/etcd';
import { InvalidInstanceError } from './errors';
import { decodeInstance, normalizePrefix, servicePrefix } from './naming';
import type { ServiceInstance } from './service-instance';

/** Options for {@link listInstances}. */
export interface ListInstancesOptions {
  readonly client: Etcd3;
  /** One service, or every service under the prefix when left out. */
  readonly service?: string;
  /** Root prefix (default `/services`). */
  readonly prefix?: string;
}

/** An instance with its lease's remaining time to live. */
export interface InstancePresence extends ServiceInstance {
  /** Seconds until the lease expires without keepalive; `undefined` for keys without a lease. */
  readonly ttlSeconds: number | undefined;
  /** The lease's granted TTL in seconds; `undefined` without a lease. */
  readonly grantedTtlSeconds: number | undefined;
}

/** Result of {@link listInstances}. */
export interface Inventory {
  /** etcd revision of the listing. */
  readonly revision: number;
  readonly instances: readonly InstancePresence[];
  /** Malformed entries found (skipped). */
  readonly invalid: readonly InvalidInstanceError[];
}

/**
 * Lists live instances with their metadata, registration revision and remaining lease TTL
 * ("which machines are alive"). One Range plus one TimeToLive per distinct lease.
 * @throws {EtcdPatternsError} when etcd cannot be read.
 */
export async function listInstances(options: ListInstancesOptions): Promise<Inventory> {
  const root = normalizePrefix(options.prefix);
  const prefix = options.service === undefined ? `${root}/` : servicePrefix(root, options.service);
  let res;
  try {
    res = await options.client.kv.range({ key: Buffer.from(prefix), range_end: prefixRangeEnd(Buffer.from(prefix)) });
  } catch (error) {
    throw toEtcdError(error, `list ${prefix}`);
  }
  const instances: ServiceInstance[] = [];
  const invalid: InvalidInstanceError[] = [];
  for (const raw of res.kvs) {
    const kv = toKeyValue(raw);
    const rest = kv.key.slice(root.length + 1);
    const service = rest.slice(0, rest.indexOf('/'));
    try {
      if (!service) throw new InvalidInstanceError(kv.key, 'key has no service segment');
      instances.push(decodeInstance(service, `${root}/${service}/`, kv));
    } catch (error) {
      invalid.push(error instanceof InvalidInstanceError ? error : new InvalidInstanceError(kv.key, String(error)));
    }
  }
  const leases = [...new Set(instances.map((i) => i.lease).filter((l) => l !== '0'))];
  const ttl = new Map<string, { ttl: number; granted: number }>();
  try {
    await Promise.all(
      leases.map(async (id) => {
        const r = await options.client.leaseClient.leaseTimeToLive({ ID: id });
        ttl.set(id, { ttl: Number(r.TTL), granted: Number(r.grantedTTL) });
      }),
    );
  } catch (error) {
    throw toEtcdError(error, 'lease time-to-live');
  }
  return {
    revision: Number(res.header.revision),
    instances: instances.map((i) => ({
      ...i,
      ttlSeconds: ttl.get(i.lease)?.ttl,
      grantedTtlSeconds: ttl.get(i.lease)?.granted,
    })),
    invalid,
  };
}
