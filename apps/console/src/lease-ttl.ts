import type { Etcd3 } from '@etcd-patterns/etcd';
import { consoleEtcdError } from './api-error';

/** A lease id as etcd stores it (decimal string) in hex, as etcdctl prints it; `'0'` stays `'0'`. */
export function leaseHex(decimal: string): string {
  return BigInt(decimal).toString(16);
}

/** A hex lease id as the decimal string etcd3 takes. */
export function leaseDecimal(hex: string): string {
  return BigInt(`0x${hex}`).toString();
}

/** A lease's remaining and granted TTL. */
export interface LeaseTtl {
  readonly ttlSeconds: number;
  readonly grantedTtlSeconds: number;
  /** Keys on it (with `keys: true`). */
  readonly keys: readonly string[];
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * TimeToLive of each distinct lease (decimal ids; `'0'` skipped). A lease that expired between
 * the read and this call (TTL -1) is left out.
 * @throws {EtcdPatternsError} when etcd refuses or does not answer.
 */
export async function leaseTtls(client: Etcd3, leases: Iterable<string>, options: { keys?: boolean } = {}): Promise<Map<string, LeaseTtl>> {
  const ids = [...new Set(leases)].filter((l) => l !== '0');
  const out = new Map<string, LeaseTtl>();
  await mapLimit(ids, 16, async (id) => {
    try {
      const r = await client.leaseClient.leaseTimeToLive({ ID: id, keys: options.keys ?? false });
      const ttl = Number(r.TTL);
      if (ttl >= 0) out.set(id, { ttlSeconds: ttl, grantedTtlSeconds: Number(r.grantedTTL), keys: (r.keys ?? []).map((k) => k.toString('utf8')) });
    } catch (error) {
      const e = consoleEtcdError(error, 'lease time-to-live');
      if (e.code !== 'ETCD_LEASE_NOT_FOUND') throw e;
    }
  });
  return out;
}
