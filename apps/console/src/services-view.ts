import type { MalformedEntry, ServiceInstanceView, ServicesView } from '@etcd-patterns/console-contract';
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
  const decoded: Array<{ kv: KeyValue; instance: ReturnType<typeof decodeInstance> }> = [];
  const malformed: MalformedEntry[] = [];
  for (const kv of kvs) {
    const rest = kv.key.slice(root.length + 1);
    const slash = rest.indexOf('/');
    const service = slash > 0 ? rest.slice(0, slash) : '';
    try {
      if (!service) throw new Error('the key has no <service>/<address> part');
      decoded.push({ kv, instance: decodeInstance(service, `${root}/${service}/`, kv) });
    } catch (error) {
      const reason = error instanceof Error ? error.message.replace(`${kv.key}: `, '') : String(error);
      malformed.push({ key: kv.key, value: displayText(kv.value), reason, modRevision: kv.modRevision });
    }
  }
  const ttls = await leaseTtls(client, decoded.map((d) => d.kv.lease));
  firstSeen.retain(kvs);
  const instances = decoded.map(({ kv, instance }): ServiceInstanceView => {
    const metadata = instance.metadata as Record<string, unknown>;
    const ttl = ttls.get(kv.lease);
    const registeredAt = typeof metadata['registeredAt'] === 'string' ? metadata['registeredAt'] : undefined;
    return {
      key: kv.key,
      service: instance.service,
      address: instance.address,
      ...(typeof metadata['version'] === 'string' ? { version: metadata['version'] } : {}),
      ...(typeof metadata['zone'] === 'string' ? { zone: metadata['zone'] } : {}),
      ...(typeof metadata['weight'] === 'number' ? { weight: metadata['weight'] } : {}),
      metadata,
      leaseId: leaseHex(kv.lease),
      ...(ttl ? { ttlSeconds: ttl.ttlSeconds, grantedTtlSeconds: ttl.grantedTtlSeconds } : {}),
      readAt,
      createRevision: kv.createRevision,
      modRevision: kv.modRevision,
      since: registeredAt ?? firstSeen.mark(kv.key, kv.createRevision, readAt),
    };
  });
  return { revision: Number(res.header.revision), prefix: `${root}/`, instances, malformed };
}
