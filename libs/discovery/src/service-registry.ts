import {
  abortableSleep,
  Backoff,
  EtcdPatternsError,
  Session,
  SessionKeeper,
  throwIfAborted,
  toEtcdError,
  watchPrefix,
  type Etcd3,
} from '@etcd-patterns/etcd';
import { DiscoveryArgumentError } from './errors';
import { recordRegistration, recordReregistration } from './internal/metrics';
import { encodeInstanceValue, instanceKey, normalizePrefix, validateMetadata } from './naming';
import { Registration } from './registration';
import type { InstanceMetadata } from './service-instance';

/** Options for {@link ServiceRegistry}. */
export interface ServiceRegistryOptions {
  /**
   * The lease all registrations share. A {@link SessionKeeper} re-registers everything on a
   * new lease after a loss, forever; a plain {@link Session} ends its registrations (state
   * `lost`) when it is lost.
   */
  readonly session: SessionKeeper | Session;
  /** Root prefix (default `/services`). */
  readonly prefix?: string;
  /** Receives background errors (retried writes, watch failures). Never throws into the host. */
  readonly onError?: (error: EtcdPatternsError) => void;
}

/** Options for {@link ServiceRegistry.register}. */
export interface RegisterOptions {
  /** Service name (`greeter`); no `/`. */
  readonly service: string;
  /** `host:port` clients should dial. */
  readonly address: string;
  /** `version`, `zone`, `weight` and any JSON fields. */
  readonly metadata?: InstanceMetadata;
  /** Aborts the first write (the registration is then removed). */
  readonly signal?: AbortSignal;
}

const BATCH = 128;

/** What the registry keeps per registration. */
interface Entry {
  readonly registration: Registration;
  readonly value: string;
  /** Revision of the last write (0 before the first). */
  writtenRevision: number;
  /** Lease of the last write (undefined before the first). */
  writtenLease: string | undefined;
  /** The key was seen deleted behind our back since the last write. */
  keyDeleted: boolean;
}

/**
 * Registers service instances under `<prefix>/<service>/<host:port>` with the value format
 * of etcd's Go naming package, all attached to one shared lease: keepalive cost grows with
 * processes, not instances. Writes from concurrent `register()` calls are coalesced into
 * transactions of up to 128 puts.
 *
 * **Fault behaviour.** While etcd is unreachable registrations stay in memory; when the lease
 * is lost (outage longer than the TTL, partition, revoke) every registration goes to
 * `recovering` at once and, with a `SessionKeeper`, is written again on the next lease, which
 * the keeper retries at least once a second. One watch over `<prefix>/` per registry (not one
 * per service), from the revision of its first write, notices a registration key deleted
 * behind our back (e.g. `etcdctl del`) and puts it back; it needs read access to `<prefix>/`.
 * `deregister()` deletes the key at once, only if it is still attached to our lease. A process
 * killed with SIGKILL leaves its keys until the TTL expires.
 *
 * **Metrics** (OpenTelemetry, no-ops without a MeterProvider): first writes count into
 * `etcd_patterns.discovery.registrations`, writes on a new lease or after a deleted key into
 * `etcd_patterns.discovery.reregistrations` (by `reason`), both by `discovery.service`.
 */
export class ServiceRegistry implements AsyncDisposable {
  private readonly prefix: string;
  private readonly entries = new Map<string, Entry>();
  // The one watch over `<prefix>/` that puts back deleted keys; runs while anything is written.
  private guardWatch: AbortController | undefined;
  private readonly tracked = new WeakSet<Session>();
  private readonly closed = new AbortController();
  // register() calls still waiting for their first write: a refusal that retrying cannot heal
  // (ETCD_PERMISSION_DENIED) rejects them instead of leaving them waiting forever.
  private readonly firstWrite = new Map<Registration, (error: EtcdPatternsError) => void>();
  private pending: Registration[] = [];
  private flushing = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: ServiceRegistryOptions) {
    this.prefix = normalizePrefix(options.prefix);
    const source = options.session;
    this.unsubscribe =
      source instanceof SessionKeeper
        ? source.onSession((session) => this.recover(session))
        : () => undefined;
  }

  /** The etcd client of the session. */
  get client(): Etcd3 {
    return this.options.session.client;
  }

  /** Live registrations. */
  get registrations(): readonly Registration[] {
    return [...this.entries.values()].map((e) => e.registration);
  }

  /**
   * Registers one instance and resolves once its key is in etcd.
   * @throws {DiscoveryArgumentError} for a bad service name, address or metadata, or an
   *   address already registered by this registry.
   * @throws {EtcdPatternsError} `ABORTED`; `SESSION_LOST` when a plain `Session` is gone;
   *   a non-retryable etcd error of the first write, such as `ETCD_PERMISSION_DENIED` when the
   *   user may not write under this service's prefix (nothing is left registered).
   */
  async register(options: RegisterOptions): Promise<Registration> {
    throwIfAborted(options.signal);
    if (this.closed.signal.aborted) throw new EtcdPatternsError('ETCD_CLIENT_CLOSED', 'service registry closed');
    const key = instanceKey(this.prefix, options.service, options.address);
    const metadata = validateMetadata(options.metadata);
    if (this.entries.has(key)) throw new DiscoveryArgumentError(`${key} is already registered by this registry`);
    const registration = new Registration(key, options.service, options.address, metadata, (r) => this.deregister(r), () => void this.liveSession());
    this.entries.set(key, { registration, value: encodeInstanceValue(options.address, metadata), writtenRevision: 0, writtenLease: undefined, keyDeleted: false });
    try {
      const refused = new Promise<never>((_, reject) => this.firstWrite.set(registration, reject));
      refused.catch(() => undefined); // settled by the race below, or never used
      this.enqueue([registration]);
      await Promise.race([registration.whenRegistered({ signal: options.signal }), refused]);
      return registration;
    } catch (error) {
      await this.deregister(registration);
      throw error;
    } finally {
      this.firstWrite.delete(registration);
    }
  }

  /**
   * Deregisters everything and stops the watches. Does not close the session. Idempotent.
   * Keys are deleted in transactions of up to 128 (each only if still on our lease), so closing
   * 10,000 registrations takes about 80 requests, not 10,000.
   */
  async close(): Promise<void> {
    if (this.closed.signal.aborted) return;
    this.closed.abort();
    this.unsubscribe();
    const keys = [...this.entries.keys()];
    for (const { registration } of this.entries.values()) registration.setState('deregistered');
    this.entries.clear();
    this.stopGuard();
    const session = this.liveSession();
    if (!session) return; // the lease is gone or going: its keys go with it
    const batches: string[][] = [];
    for (let i = 0; i < keys.length; i += BATCH) batches.push(keys.slice(i, i + BATCH));
    await Promise.all(batches.map((batch) => this.deleteKeys(batch, session)));
  }

  /** Same as {@link close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async deregister(registration: Registration): Promise<void> {
    const entry = this.entries.get(registration.key);
    if (!entry || entry.registration !== registration) return;
    this.entries.delete(registration.key);
    registration.setState('deregistered');
    if (this.entries.size === 0) this.stopGuard();
    const session = this.liveSession();
    if (!session) return; // the lease is gone or going: its keys go with it
    await this.deleteKey(registration.key, session);
  }

  // Deletes `keys` in one transaction if all are still on our lease; else one by one (some
  // other process may own an address now, and its key must stay).
  private async deleteKeys(keys: readonly string[], session: Session): Promise<void> {
    if (keys.length === 1) return this.deleteKey(keys[0]!, session);
    const bytes = keys.map((key) => Buffer.from(key));
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        const res = await this.client.kv.txn({
          compare: bytes.map((key) => ({ key, target: 'Lease' as const, result: 'Equal' as const, lease: session.leaseId })),
          success: bytes.map((key) => ({ request_delete_range: { key } })),
          failure: [],
        });
        if (res.succeeded) return;
        break;
      } catch (error) {
        const e = toEtcdError(error, `deregister ${keys.length} keys`);
        if (!e.retryable || attempt === 3) return this.report(e);
        await abortableSleep(100 * attempt);
      }
    }
    await Promise.all(keys.map((key) => this.deleteKey(key, session)));
  }

  // Deletes `key` only if it is still on our lease: another process may own that address now.
  private async deleteKey(key: string, session: Session): Promise<void> {
    const bytes = Buffer.from(key);
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        await this.client.kv.txn({
          compare: [{ key: bytes, target: 'Lease', result: 'Equal', lease: session.leaseId }],
          success: [{ request_delete_range: { key: bytes } }],
          failure: [],
        });
        return;
      } catch (error) {
        const e = toEtcdError(error, `deregister ${key}`);
        if (!e.retryable || attempt === 3) return this.report(e);
        await abortableSleep(100 * attempt);
      }
    }
  }

  private liveSession(): Session | undefined {
    const source = this.options.session;
    const session = source instanceof SessionKeeper ? source.current : source;
    return session && !session.lost.aborted ? session : undefined;
  }

  private track(session: Session): void {
    if (this.tracked.has(session)) return;
    this.tracked.add(session);
    session.lost.addEventListener(
      'abort',
      () => {
        const next = this.options.session instanceof SessionKeeper ? 'recovering' : 'lost';
        for (const { registration } of this.entries.values()) registration.setState(next);
      },
      { once: true },
    );
  }

  private recover(session: Session): void {
    this.track(session);
    this.enqueue(this.registrations);
  }

  private enqueue(registrations: readonly Registration[]): void {
    this.pending.push(...registrations);
    if (this.flushing) return;
    this.flushing = true;
    void this.flush().finally(() => {
      this.flushing = false;
      // Anything queued between the loop's last check and now would otherwise wait forever.
      if (this.pending.length > 0 && !this.closed.signal.aborted) this.enqueue([]);
    });
  }

  // Writes pending registrations in transactions of up to BATCH puts, on the live lease,
  // retrying retryable failures (a put of the same value on the same lease is idempotent).
  private async flush(): Promise<void> {
    await Promise.resolve(); // let concurrent register() calls join this batch
    const backoff = new Backoff({ initialMs: 100, maxMs: 1000 });
    while (this.pending.length > 0 && !this.closed.signal.aborted) {
      const source = this.options.session;
      let session: Session;
      try {
        session = source instanceof SessionKeeper ? await source.ready({ signal: this.closed.signal }) : source;
      } catch {
        return;
      }
      if (session.lost.aborted) {
        if (source instanceof Session) {
          for (const r of this.pending.splice(0)) r.setState('lost');
          return;
        }
        await abortableSleep(backoff.next(), this.closed.signal).catch(() => undefined);
        continue;
      }
      this.track(session);
      const batch = [...new Set(this.pending.splice(0, BATCH))].filter(
        (r) => this.entries.get(r.key)?.registration === r,
      );
      if (batch.length === 0) continue;
      try {
        const res = await this.client.kv.txn({
          compare: [],
          success: batch.map((r) => ({
            request_put: { key: Buffer.from(r.key), value: Buffer.from(this.entries.get(r.key)!.value), lease: session.leaseId },
          })),
          failure: [],
        });
        backoff.reset();
        const revision = Number(res.header.revision);
        this.startGuard(revision);
        for (const r of batch) {
          const entry = this.entries.get(r.key);
          if (entry?.registration !== r) {
            // Deregistered while this put was in flight: its delete may have landed first.
            void this.deleteKey(r.key, session);
          } else {
            this.count(entry, session.leaseId);
            entry.writtenRevision = revision;
            if (!session.lost.aborted) r.setState('registered');
          }
        }
      } catch (error) {
        const e = toEtcdError(error, 'register');
        this.report(e);
        if (!e.retryable) {
          // Permission denied and the like will not heal by retrying: leave them recovering
          // and let the next lease or a key deletion try again.
          for (const r of batch) {
            const refuse = this.firstWrite.get(r);
            if (refuse) refuse(e);
            else r.setState('recovering');
          }
          continue;
        }
        this.pending.unshift(...batch);
        await abortableSleep(backoff.next(), this.closed.signal).catch(() => undefined);
      }
    }
  }

  // First write: a registration; a write on a new lease (a lost lease takes its keys with it)
  // or after the key was deleted on the same lease: a re-registration; a repeated write on the
  // same lease (a coalescing overlap): neither.
  private count(entry: Entry, leaseId: string): void {
    const service = entry.registration.service;
    if (entry.writtenLease === undefined) recordRegistration(service);
    else if (entry.writtenLease !== leaseId) recordReregistration(service, 'new-lease');
    else if (entry.keyDeleted) recordReregistration(service, 'key-deleted');
    entry.writtenLease = leaseId;
    entry.keyDeleted = false;
  }

  // One watch over the whole registry prefix, whatever the number of services: it puts back our
  // keys when they disappear while we hold the lease. It starts at the revision of the first
  // write (every later write has a higher one, so no deletion of a written key is missed) and
  // needs no snapshot read. One watch per service used to open 100 streams and 100 range reads
  // at once per process for 100 services; with ten such processes the members fell behind on
  // keepalives and leases expired (bench/src/scale/discovery.scale.ts).
  private startGuard(fromRevision: number): void {
    if (this.guardWatch || this.closed.signal.aborted || this.entries.size === 0) return;
    const controller = new AbortController();
    this.guardWatch = controller;
    const prefix = `${this.prefix}/`;
    // Ours, registered, and written before `revision` (a delete before our put is stale).
    const ours = (key: string, revision: number): Registration | undefined => {
      const entry = this.entries.get(key);
      return entry?.registration.state === 'registered' && entry.writtenRevision < revision ? entry.registration : undefined;
    };
    let next = fromRevision;
    void (async () => {
      const backoff = new Backoff({ initialMs: 200, maxMs: 5000 });
      while (!controller.signal.aborted) {
        try {
          for await (const message of watchPrefix(this.client, prefix, { signal: controller.signal, startRevision: next })) {
            next = message.revision + 1;
            const missing: Registration[] = [];
            if (message.kind === 'events') {
              for (const e of message.events) {
                const r = e.type === 'delete' ? ours(e.kv.key, e.kv.modRevision) : undefined;
                if (r && this.liveSession()) missing.push(r);
              }
            } else {
              // A reconcile after compaction: the full content of the prefix at its revision.
              const present = new Set(message.kvs.map((kv) => kv.key));
              for (const { registration } of this.entries.values()) {
                if (ours(registration.key, message.revision + 1) && !present.has(registration.key)) missing.push(registration);
              }
            }
            if (missing.length > 0) {
              for (const r of missing) {
                const entry = this.entries.get(r.key);
                if (entry) entry.keyDeleted = true;
                r.setState('recovering');
              }
              this.enqueue(missing);
            }
            backoff.reset();
          }
        } catch (error) {
          this.report(toEtcdError(error, `registration watch ${prefix}`));
          await abortableSleep(backoff.next(), controller.signal, { unref: true }).catch(() => undefined);
        }
      }
    })();
  }

  private stopGuard(): void {
    this.guardWatch?.abort();
    this.guardWatch = undefined;
  }

  private report(error: EtcdPatternsError): void {
    try {
      this.options.onError?.(error);
    } catch {
      // an error handler must never take the registry down
    }
  }
}

/** Options for {@link register}: a registry's options and one instance's. */
export type RegisterWithSessionOptions = ServiceRegistryOptions & RegisterOptions;

/**
 * Registers one instance with its own {@link ServiceRegistry}; `deregister()` on the handle
 * removes it. Prefer one `ServiceRegistry` per process when registering several instances.
 */
export async function register(options: RegisterWithSessionOptions): Promise<Registration> {
  const registry = new ServiceRegistry(options);
  const registration = await registry.register(options).catch(async (error: unknown) => {
    await registry.close();
    throw error;
  });
  registration.onStateChange((state) => {
    if (state === 'deregistered') void registry.close();
  });
  return registration;
}
