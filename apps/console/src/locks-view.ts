import type { ElectionView, LocksView, LockView, OwnerKeyView } from '@etcd-patterns/console-contract';
import type { Etcd3, KeyValue } from '@etcd-patterns/etcd';
import { readValues } from './config-view';
import { scanKeys } from './key-scan';
import { leaseHex, leaseTtls } from './lease-ttl';
import { displayText, type FirstSeen } from './services-view';

/** The prefix to scan for a configured lock prefix: `/` means the whole keyspace. */
export function scanPrefix(prefix: string): string {
  return prefix === '/' ? '' : prefix;
}

/** Whether a key could be an owner key (its last segment is a lease id in hex), by shape only. */
export function looksLikeOwnerKey(key: string): boolean {
  return /\/[0-9a-f]{1,16}$/.test(key);
}

/**
 * The owner keys of the Go concurrency layout, `<name>/<lease hex>` where the last segment is
 * the key's own lease id in lowercase hex (what `etcdctl lock`/`elect`, Go's `concurrency` and
 * `@etcd-patterns/lock` write), grouped by name.
 */
export function ownerKeys(kvs: readonly KeyValue[]): Map<string, KeyValue[]> {
  const byName = new Map<string, KeyValue[]>();
  for (const kv of kvs) {
    if (kv.lease === '0') continue;
    const slash = kv.key.lastIndexOf('/');
    if (slash <= 0 || kv.key.slice(slash + 1) !== leaseHex(kv.lease)) continue;
    const name = kv.key.slice(0, slash);
    const list = byName.get(name);
    if (list) list.push(kv);
    else byName.set(name, [kv]);
  }
  for (const list of byName.values()) list.sort((a, b) => a.createRevision - b.createRevision);
  return byName;
}

/**
 * Every lock and election under the configured prefixes: a keys-only scan for owner keys
 * ({@link ownerKeys}), then their values and their leases' TTLs. The owner key with the lowest
 * create revision holds the lock (leads the election); the others wait in create-revision
 * order. A name whose owner keys hold values (proposals) is an election, one whose keys are all
 * empty is a lock.
 */
export async function locksView(client: Etcd3, prefixes: readonly string[], firstSeen: FirstSeen): Promise<LocksView> {
  const seen = new Map<string, KeyValue>();
  let revision = 0;
  for (const prefix of prefixes) {
    const scan = await scanKeys(client, scanPrefix(prefix));
    revision = Math.max(revision, scan.revision);
    for (const kv of scan.keys) seen.set(kv.key, kv);
  }
  const groups = ownerKeys([...seen.values()]);
  const keys = [...groups.values()].flat();
  const [values, ttls] = await Promise.all([readValues(client, keys.map((k) => k.key)), leaseTtls(client, keys.map((k) => k.lease))]);
  firstSeen.retain(keys);
  const now = new Date().toISOString();
  const view = (kv: KeyValue): OwnerKeyView => {
    const ttl = ttls.get(kv.lease);
    return {
      key: kv.key,
      leaseId: leaseHex(kv.lease),
      createRevision: kv.createRevision,
      value: displayText(values.get(kv.key) ?? Buffer.alloc(0)),
      since: firstSeen.mark(kv.key, kv.createRevision, now),
      ...(ttl ? { ttlSeconds: ttl.ttlSeconds } : {}),
    };
  };
  const locks: LockView[] = [];
  const elections: ElectionView[] = [];
  for (const [name, list] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    // A key whose value could not be read any more was deleted after the scan: skip it.
    const present = list.filter((kv) => values.has(kv.key));
    if (present.length === 0) continue;
    const owners = present.map(view);
    const election = present.some((kv) => (values.get(kv.key)?.length ?? 0) > 0);
    if (election) elections.push({ name, leader: owners[0]!, candidates: owners.slice(1) });
    else locks.push({ name, holder: owners[0]!, waiters: owners.slice(1) });
  }
  return { revision, locks, elections };
}
