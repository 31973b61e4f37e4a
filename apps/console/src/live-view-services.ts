import type { LeaseReadingView, LiveChange, LiveCollectionDelta, ServiceInstanceView, ServicesView } from '@etcd-patterns/console-contract';
import { normalizePrefix } from '@etcd-patterns/discovery';
import { watchPrefix, type Etcd3, type KeyValue } from '@etcd-patterns/etcd';
import { SharedLiveView, type ViewSnapshot } from './live-view';
import { decodeRegistryEntry, leaseReadings, withTtl, type FirstSeen, type RegistryEntry } from './services-view';

/** Options of {@link ServicesLiveView}. */
export interface ServicesLiveViewOptions {
  readonly client: Etcd3;
  readonly registryPrefix: string;
  readonly firstSeen: FirstSeen;
  /**
   * How often the TTLs of the leases in use are read again at most, in ms (default 10000); a
   * third of the shortest granted TTL when that is shorter, but not more often than once a second.
   */
  readonly leaseRefreshMs?: number;
}

type Pending = Map<string, Map<string, unknown>>;
const REMOVED = Symbol('removed');

/**
 * The `services` view kept in memory from one `watchPrefix` of the registry prefix: the watch's
 * snapshot builds it, each change decodes only the changed key (a put of a key whose lease is new
 * costs one TimeToLive), and subscribers get the changed instances, malformed entries and lease
 * readings as a delta. Changes that arrive while one is being prepared go out as one event. A
 * `reconcile` (the watch's resume point was compacted) rebuilds the view and resends a snapshot.
 * Lease readings are refreshed every `leaseRefreshMs` or faster for short TTLs (a reading is re-sent only when the lease's
 * TTL is above the count-down of the last one, i.e. it was kept alive, or well below it).
 */
export class ServicesLiveView extends SharedLiveView {
  private readonly root: string;
  private readonly entries = new Map<string, RegistryEntry>();
  /** Readings by decimal lease id. */
  private readonly leases = new Map<string, LeaseReadingView>();
  private readonly users = new Map<string, number>();
  private revision = 0;
  private ready = false;
  private pending: Pending = new Map();
  private pendingChanges: LiveChange[] = [];
  private flushScheduled = false;

  constructor(private readonly options: ServicesLiveViewOptions) {
    super();
    this.root = normalizePrefix(options.registryPrefix);
  }

  protected snapshot(): ViewSnapshot | undefined {
    if (!this.ready) return undefined;
    const data: ServicesView = {
      revision: this.revision,
      prefix: `${this.root}/`,
      instances: this.instances([...this.entries.values()]),
      malformed: [...this.entries.values()].flatMap((e) => (e.kind === 'malformed' ? [e.entry] : [])),
      leases: [...this.leases.values()],
    };
    return { revision: this.revision, data };
  }

  protected async run(): Promise<void> {
    // Checked every second; the interval follows the leases in use (their TTLs change over time).
    let lastRefreshAt = Date.now();
    let refreshing = false;
    const refresh = setInterval(() => {
      let intervalMs = this.options.leaseRefreshMs ?? 10_000;
      for (const reading of this.leases.values()) if (reading.grantedTtlSeconds > 0) intervalMs = Math.min(intervalMs, (reading.grantedTtlSeconds * 1000) / 3);
      if (refreshing || Date.now() - lastRefreshAt < Math.max(1000, intervalMs) - 50) return;
      refreshing = true;
      lastRefreshAt = Date.now();
      void this.refreshLeases()
        .catch(() => undefined)
        .finally(() => (refreshing = false));
    }, 1000);
    refresh.unref();
    try {
      for await (const message of watchPrefix(this.options.client, `${this.root}/`, { signal: this.signal })) {
        if (message.kind === 'events') {
          const now = new Date().toISOString();
          const fresh: KeyValue[] = [];
          for (const { type, kv } of message.events) {
            this.pendingChanges.push({ kind: type, key: kv.key, modRevision: kv.modRevision });
            if (type === 'delete') this.remove(kv.key);
            else fresh.push(kv);
          }
          await this.put(fresh, now);
          this.revision = message.revision;
          this.scheduleFlush();
        } else {
          // The first listing, or a resync after compaction: rebuild from the full content.
          await this.rebuild(message.kvs, message.revision);
          this.publishSnapshot();
        }
      }
    } finally {
      clearInterval(refresh);
    }
  }

  private instances(entries: readonly RegistryEntry[]): ServiceInstanceView[] {
    const readAt = new Date().toISOString();
    return entries.flatMap((e) => (e.kind === 'instance' ? [withTtl(e.view, this.leases.get(e.kv.lease), readAt)] : []));
  }

  private async rebuild(kvs: readonly KeyValue[], revision: number): Promise<void> {
    const now = new Date().toISOString();
    const entries = kvs.map((kv) => decodeRegistryEntry(this.root, kv, this.options.firstSeen, now));
    const readings = await leaseReadings(this.options.client, entries.filter((e) => e.kind === 'instance').map((e) => e.kv.lease));
    this.entries.clear();
    this.users.clear();
    this.leases.clear();
    for (const entry of entries) this.track(entry);
    for (const [id, reading] of readings) if (this.users.has(id)) this.leases.set(id, reading);
    this.revision = revision;
    this.ready = true;
    this.pending = new Map();
    this.pendingChanges = [];
  }

  private async put(kvs: readonly KeyValue[], now: string): Promise<void> {
    const entries = kvs.map((kv) => decodeRegistryEntry(this.root, kv, this.options.firstSeen, now));
    const unknown = entries.filter((e) => e.kind === 'instance' && e.kv.lease !== '0' && !this.leases.has(e.kv.lease)).map((e) => e.kv.lease);
    const readings = unknown.length > 0 ? await leaseReadings(this.options.client, unknown) : new Map<string, LeaseReadingView>();
    for (const entry of entries) {
      this.remove(entry.kv.key);
      this.track(entry);
    }
    for (const [id, reading] of readings) {
      if (!this.users.has(id)) continue;
      this.leases.set(id, reading);
      this.note('leases', reading.id, reading);
    }
    for (const entry of entries) {
      if (entry.kind === 'instance') this.note('instances', entry.kv.key, withTtl(entry.view, this.leases.get(entry.kv.lease), now));
      else this.note('malformed', entry.kv.key, entry.entry);
    }
  }

  private track(entry: RegistryEntry): void {
    this.entries.set(entry.kv.key, entry);
    if (entry.kind === 'instance' && entry.kv.lease !== '0') this.users.set(entry.kv.lease, (this.users.get(entry.kv.lease) ?? 0) + 1);
  }

  private remove(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.note(old.kind === 'instance' ? 'instances' : 'malformed', key, REMOVED);
    if (old.kind !== 'instance' || old.kv.lease === '0') return;
    const left = (this.users.get(old.kv.lease) ?? 1) - 1;
    if (left > 0) {
      this.users.set(old.kv.lease, left);
      return;
    }
    this.users.delete(old.kv.lease);
    const reading = this.leases.get(old.kv.lease);
    if (reading) {
      this.leases.delete(old.kv.lease);
      this.note('leases', reading.id, REMOVED);
    }
  }

  private note(collection: string, id: string, item: unknown): void {
    let map = this.pending.get(collection);
    if (!map) this.pending.set(collection, (map = new Map()));
    map.set(id, item);
  }

  /** Sends what changed since the last event once the current burst has been taken in (next macrotask). */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const pending = this.pending;
      const changes = this.pendingChanges;
      this.pending = new Map();
      this.pendingChanges = [];
      if (pending.size === 0 && changes.length === 0) return;
      const collections: Record<string, LiveCollectionDelta> = {};
      for (const [name, items] of pending) {
        const upsert: unknown[] = [];
        const remove: string[] = [];
        for (const [id, item] of items) {
          if (item === REMOVED) remove.push(id);
          else upsert.push(item);
        }
        collections[name] = { upsert, remove };
      }
      this.publish({ type: 'changes', revision: this.revision, changes, delta: { collections } });
    });
  }

  /** Reads the TTL of every lease in use again; sends the readings that are not what the count-down predicts. */
  private async refreshLeases(): Promise<void> {
    if (!this.ready || this.users.size === 0 || this.signal.aborted) return;
    const readings = await leaseReadings(this.options.client, [...this.users.keys()]);
    const now = Date.now();
    for (const [id, reading] of readings) {
      if (!this.users.has(id)) continue;
      const old = this.leases.get(id);
      const predicted = old ? old.ttlSeconds - (now - Date.parse(old.readAt)) / 1000 : Number.NaN;
      // TTLs are whole seconds: a reading half a second above the count-down was kept alive.
      if (old && reading.ttlSeconds - predicted < 0.5 && predicted - reading.ttlSeconds <= 1 && old.grantedTtlSeconds === reading.grantedTtlSeconds) continue;
      this.leases.set(id, reading);
      this.note('leases', reading.id, reading);
    }
    if (this.pending.size > 0) this.scheduleFlush();
  }
}
