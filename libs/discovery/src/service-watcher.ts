import {
  abortableSleep,
  Backoff,
  EtcdPatternsError,
  toEtcdError,
  watchPrefix,
  type Etcd3,
  type KeyValue,
} from '@etcd-patterns/etcd';
import { InvalidInstanceError } from './errors';
import { InstanceList } from './internal/instance-list';
import { Latest } from './internal/latest';
import { decodeInstance, servicePrefix } from './naming';
import type { ServiceInstance } from './service-instance';

/** Options for {@link discover}. */
export interface DiscoverOptions {
  readonly client: Etcd3;
  /** Service name. Never matches another service that merely starts with it. */
  readonly service: string;
  /** Root prefix (default `/services`). */
  readonly prefix?: string;
  /**
   * Keeps only the instances it returns true for (by version, zone, any metadata). Called once
   * per instance change (not on every list), so it must depend on the instance alone.
   */
  readonly filter?: (instance: ServiceInstance) => boolean;
  /** Stops the watcher (same as `close()`). */
  readonly signal?: AbortSignal;
  /** Called for each malformed entry (skipped); default: ignore (see `invalid`). */
  readonly onInvalid?: (error: InvalidInstanceError) => void;
  /** Called for watch errors; the watcher keeps its list and retries. */
  readonly onError?: (error: EtcdPatternsError) => void;
}

/**
 * The live instance list of one service. See {@link discover}.
 */
export class ServiceWatcher implements AsyncIterable<readonly ServiceInstance[]>, AsyncDisposable {
  // The instances that pass the filter, edited per change (see InstanceList).
  private readonly list = new InstanceList();
  private readonly bad = new Map<string, InvalidInstanceError>();
  private readonly latest = new Latest<readonly ServiceInstance[]>();
  private readonly controller = new AbortController();
  private current: readonly ServiceInstance[] = [];
  private rev = 0;
  private resolveReady!: (list: readonly ServiceInstance[]) => void;
  private rejectReady!: (error: unknown) => void;

  /** Resolves with the first complete list (possibly empty); rejects if closed first. */
  readonly ready: Promise<readonly ServiceInstance[]>;

  /** @internal Use {@link discover}. */
  constructor(private readonly options: DiscoverOptions) {
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined);
    if (options.signal) {
      if (options.signal.aborted) this.close();
      else options.signal.addEventListener('abort', () => this.close(), { once: true });
    }
    void this.run(servicePrefix(options.prefix ?? '/services', options.service));
  }

  /**
   * The current instances (after the filter), sorted by address (then key). Empty before
   * `ready`. Each change publishes a new frozen array; earlier ones are never modified.
   */
  get instances(): readonly ServiceInstance[] {
    return this.current;
  }

  /** etcd revision the list reflects (0 before `ready`). */
  get revision(): number {
    return this.rev;
  }

  /** Malformed entries currently under the prefix, by key. */
  get invalid(): ReadonlyMap<string, InvalidInstanceError> {
    return this.bad;
  }

  /** Full lists: the current one, then each change (a slow reader gets the newest). Ends on close. */
  [Symbol.asyncIterator](): AsyncIterator<readonly ServiceInstance[]> {
    return this.latest.iterate(this.controller.signal)[Symbol.asyncIterator]();
  }

  /** Stops watching. Idempotent. The last list stays readable. */
  close(): void {
    if (this.controller.signal.aborted) return;
    // One error, the abort's reason and `ready`'s rejection (no DOMException made besides).
    const closed = new EtcdPatternsError('ABORTED', 'the watcher was closed');
    this.controller.abort(closed);
    this.latest.end();
    this.rejectReady(closed);
  }

  /** Same as {@link close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  private async run(prefix: string): Promise<void> {
    const signal = this.controller.signal;
    const backoff = new Backoff({ initialMs: 200, maxMs: 5000 });
    while (!signal.aborted) {
      try {
        for await (const message of watchPrefix(this.options.client, prefix, { signal })) {
          if (message.kind === 'events') {
            for (const e of message.events) {
              if (e.type === 'put') this.upsert(prefix, e.kv);
              else this.remove(e.kv.key);
            }
          } else {
            // snapshot or reconcile: the full truth at this revision
            this.list.clear();
            this.bad.clear();
            for (const kv of message.kvs) this.upsert(prefix, kv);
          }
          this.rev = message.revision;
          this.publish();
          backoff.reset();
        }
      } catch (error) {
        // The list stays as it was: an error never empties it.
        this.report(toEtcdError(error, `discover ${prefix}`));
        await abortableSleep(backoff.next(), signal).catch(() => undefined);
      }
    }
  }

  private upsert(prefix: string, kv: KeyValue): void {
    try {
      const instance = decodeInstance(this.options.service, prefix, kv);
      if (this.included(instance)) this.list.set(instance);
      else this.list.delete(kv.key);
      this.bad.delete(kv.key);
    } catch (error) {
      this.list.delete(kv.key);
      const invalid = error instanceof InvalidInstanceError ? error : new InvalidInstanceError(kv.key, String(error));
      this.bad.set(kv.key, invalid);
      try {
        this.options.onInvalid?.(invalid);
      } catch {
        // a reporting callback must not stop discovery
      }
    }
  }

  private remove(key: string): void {
    this.list.delete(key);
    this.bad.delete(key);
  }

  private included(instance: ServiceInstance): boolean {
    const filter = this.options.filter;
    try {
      return filter ? filter(instance) : true;
    } catch {
      return false;
    }
  }

  private publish(): void {
    this.current = this.list.commit();
    this.resolveReady(this.current);
    this.latest.set(this.current);
  }

  private report(error: EtcdPatternsError): void {
    try {
      this.options.onError?.(error);
    } catch {
      // ignore
    }
  }
}

/**
 * Watches the instances of one service, built on `watchPrefix`: gap-free, survives compaction
 * (reconciled) and member failure (resumed on another member). `ready` gives the first
 * complete list; iterate for full lists on every change.
 *
 * **Fault behaviour.** Malformed entries (not JSON, wrong shape, bad address) are skipped,
 * listed in `invalid` and reported to `onInvalid`; they never drop the other instances.
 * An error never empties the list: the last known list stays until etcd says otherwise, and
 * the watch is retried with backoff.
 *
 * @throws {DiscoveryArgumentError} synchronously for a bad service name or prefix.
 */
export function discover(options: DiscoverOptions): ServiceWatcher {
  servicePrefix(options.prefix ?? '/services', options.service); // validate eagerly
  return new ServiceWatcher(options);
}
