import type { LeasesView, LeaseView } from '@etcd-patterns/console-contract';
import type { Etcd3 } from '@etcd-patterns/etcd';
import { consoleEtcdError, notFound } from './api-error';
import { readValues } from './config-view';
import { leaseDecimal, leaseHex, leaseTtls } from './lease-ttl';

/** Most leases listed (each costs a TimeToLive call). */
export const MAX_LEASES = 2000;

type Owner = LeaseView['owners'][number];

/** Where the patterns put their keys. */
export interface LeaseLayout {
  /** Root prefix of registrations (`/services`). */
  readonly registryPrefix: string;
  /** Root prefix of the config center (`/config`). */
  readonly configRoot: string;
}

/**
 * Which pattern a key on lease `leaseHexId` belongs to, by its layout: a registration under the
 * registry prefix, a config applied-report under `<configRoot>/_applied/`, a lock or election
 * owner key `<name>/<lease hex>` (election when it holds a value), else `other`.
 */
export function classifyLeaseKey(key: string, leaseHexId: string, value: Buffer | undefined, layout: LeaseLayout): Owner {
  const registry = `${layout.registryPrefix.replace(/\/+$/, '')}/`;
  if (key.startsWith(registry)) return 'registration';
  if (key.startsWith(`${layout.configRoot.replace(/\/+$/, '')}/_applied/`)) return 'config-applied';
  const slash = key.lastIndexOf('/');
  if (slash > 0 && key.slice(slash + 1) === leaseHexId) return value && value.length > 0 ? 'election' : 'lock';
  return 'other';
}

/** Every lease with its TTL and keys (TimeToLive with keys), the owners classified by layout. */
export async function leasesView(client: Etcd3, layout: LeaseLayout): Promise<LeasesView> {
  let ids: string[];
  try {
    ids = (await client.leaseClient.leaseLeases()).leases.map((l) => String(l.ID)).slice(0, MAX_LEASES);
  } catch (error) {
    throw consoleEtcdError(error, 'listing leases');
  }
  const ttls = await leaseTtls(client, ids, { keys: true });
  const readAt = new Date().toISOString();
  // Values of the keys that look like owner keys, to tell elections from locks.
  const ownerLike = [...ttls].flatMap(([id, t]) => t.keys.filter((k) => k.endsWith(`/${leaseHex(id)}`)));
  const values = ownerLike.length > 0 ? await readValues(client, ownerLike).catch(() => new Map<string, Buffer>()) : new Map<string, Buffer>();
  const leases = [...ttls].map(([id, t]): LeaseView => {
    const hex = leaseHex(id);
    const owners = [...new Set(t.keys.map((k) => classifyLeaseKey(k, hex, values.get(k), layout)))];
    return { id: hex, ttlSeconds: t.ttlSeconds, grantedTtlSeconds: t.grantedTtlSeconds, readAt, keys: t.keys, owners };
  });
  leases.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { leases };
}

/**
 * Revokes a lease (every key on it is deleted).
 * @throws {ApiException} 404 when there is no such lease.
 */
export async function revokeLease(client: Etcd3, hexId: string): Promise<void> {
  try {
    await client.leaseClient.leaseRevoke({ ID: leaseDecimal(hexId) });
  } catch (error) {
    const e = consoleEtcdError(error, `revoking lease ${hexId}`);
    if (e.code === 'ETCD_LEASE_NOT_FOUND') throw notFound(`no lease ${hexId}`);
    throw e;
  }
}
