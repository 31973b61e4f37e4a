import type { LeaseReadingView, MalformedEntry, ServiceInstanceView, ServicesView } from '@etcd-patterns/console-contract';
import { decodeInstance, normalizePrefix } from '@etcd-patterns/discovery';
import { prefixRangeEnd, toKeyValue, type Etcd3, type KeyValue } from '@etcd-patterns/etcd';
import { consoleEtcdError } from './api-error';
import { leaseHex, leaseTtls } from './lease-ttl';

/**
 * When the console first saw each key (by key and create revision), for `since` where an
 * instance does not say when it registered. Keeps only what the last listing had.
 */
export class FirstSeen {
  private readonly seen = new Map<string, string>();

  /** The first time `key` (in its incarnation `createRevision`) was seen; now if never. */
  mark(key: string, createRevision: number, now: string): string {
    const id = `${createRevision}:${key}`;
    let at = this.seen.get(id);
    if (at === undefined) {
      at = now;
      this.seen.set(id, at);
    }
    return at;
  }

  /** Forgets everything not in `live` (ids as `mark` makes them). */
  retain(live: ReadonlyArray<{ key: string; createRevision: number }>): void {
    const keep = new Set(live.map((k) => `${k.createRevision}:${k.key}`));
    for (const id of this.seen.keys()) if (!keep.has(id)) this.seen.delete(id);
  }
}

/** A value as text for display: UTF-8, with control characters (but tab/newline) escaped. */
export function displayText(value: Buffer, maxChars = 4096): string {
  const text = value.toString('utf8');
  // eslint-disable-next-line no-control-regex
  const escaped = text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > maxChars ? `${escaped.slice(0, maxChars)}… (${value.length} bytes)` : escaped;
}

/** One key under the registry prefix, decoded: an instance (without its TTL yet) or a malformed entry. */
export type RegistryEntry =
  | { readonly kind: 'instance'; readonly kv: KeyValue; readonly view: Omit<ServiceInstanceView, 'ttlSeconds' | 'grantedTtlSeconds' | 'readAt'> }
  | { readonly kind: 'malformed'; readonly kv: KeyValue; readonly entry: MalformedEntry };

/**
 * Decodes one key under `root` (normalized, no trailing slash) like the discovery library does
 * (Go naming layout `<root>/<service>/<address>`); anything else is a {@link MalformedEntry} with
 * the reason. `since` comes from metadata `registeredAt`, else from `firstSeen` (at `now`).
 */
export function decodeRegistryEntry(root: string, kv: KeyValue, firstSeen: FirstSeen, now: string): RegistryEntry {
  const rest = kv.key.slice(root.length + 1);
  const slash = rest.indexOf('/');
  const service = slash > 0 ? rest.slice(0, slash) : '';
  let instance;
  try {
    if (!service) throw new Error('the key has no <service>/<address> part');
    instance = decodeInstance(service, `${root}/${service}/`, kv);
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(`${kv.key}: `, '') : String(error);
    return { kind: 'malformed', kv, entry: { key: kv.key, value: displayText(kv.value), reason, modRevision: kv.modRevision } };
  }
  const metadata = instance.metadata as Record<string, unknown>;
  const registeredAt = typeof metadata['registeredAt'] === 'string' ? metadata['registeredAt'] : undefined;
  return {
    kind: 'instance',
    kv,
    view: {
      key: kv.key,
      service: instance.service,
      address: instance.address,
      ...(typeof metadata['version'] === 'string' ? { version: metadata['version'] } : {}),
      ...(typeof metadata['zone'] === 'string' ? { zone: metadata['zone'] } : {}),
      ...(typeof metadata['weight'] === 'number' ? { weight: metadata['weight'] } : {}),
      metadata,
      leaseId: leaseHex(kv.lease),
      createRevision: kv.createRevision,
      modRevision: kv.modRevision,
      since: registeredAt ?? firstSeen.mark(kv.key, kv.createRevision, now),
    },
  };
}

/** An instance with its lease's TTL reading (none: no lease, or it expired meanwhile). */
export function withTtl(view: Extract<RegistryEntry, { kind: 'instance' }>['view'], ttl: LeaseReadingView | undefined, readAt: string): ServiceInstanceView {
  return { ...view, ...(ttl ? { ttlSeconds: ttl.ttlSeconds, grantedTtlSeconds: ttl.grantedTtlSeconds } : {}), readAt: ttl?.readAt ?? readAt };
}

/**
 * The TTL reading of each distinct lease (decimal ids; `'0'` and expired leases left out), keyed
 * by decimal id.
 * @throws {EtcdPatternsError} when etcd refuses or does not answer.
 */
export async function leaseReadings(client: Etcd3, leases: Iterable<string>): Promise<Map<string, LeaseReadingView>> {
  const ttls = await leaseTtls(client, leases);
  const readAt = new Date().toISOString();
  const out = new Map<string, LeaseReadingView>();
  for (const [id, ttl] of ttls) out.set(id, { id: leaseHex(id), ttlSeconds: ttl.ttlSeconds, grantedTtlSeconds: ttl.grantedTtlSeconds, readAt });
  return out;
}

/**
 * Every key under the registry prefix: valid instances (Go naming layout
 * `<prefix>/<service>/<address>`, decoded like the discovery library does) with their lease's
 * remaining TTL, and every key that is not a valid instance as a {@link MalformedEntry} with the
 * reason (shown, never hidden). One range read plus one TimeToLive per distinct lease.
 */
export async function servicesView(client: Etcd3, registryPrefix: string, firstSeen: FirstSeen): Promise<ServicesView> {
  const root = normalizePrefix(registryPrefix);
  const prefix = Buffer.from(`${root}/`);
  let res;
  try {
    res = await client.kv.range({ key: prefix, range_end: prefixRangeEnd(prefix) });
  } catch (error) {
    throw consoleEtcdError(error, `listing ${root}/`);
  }
  const readAt = new Date().toISOString();
  const kvs = res.kvs.map(toKeyValue);
  const entries = kvs.map((kv) => decodeRegistryEntry(root, kv, firstSeen, readAt));
  const readings = await leaseReadings(client, entries.filter((e) => e.kind === 'instance').map((e) => e.kv.lease));
  firstSeen.retain(kvs);
  return {
    revision: Number(res.header.revision),
    prefix: `${root}/`,
    instances: entries.flatMap((e) => (e.kind === 'instance' ? [withTtl(e.view, readings.get(e.kv.lease), readAt)] : [])),
    malformed: entries.flatMap((e) => (e.kind === 'malformed' ? [e.entry] : [])),
    leases: [...readings.values()],
  };
}
