import { abortError, throwIfAborted } from '@etcd-patterns/etcd';
import { EtcdPatternsError } from '@etcd-patterns/etcd';
import type { InstanceMetadata } from './service-instance';

/**
 * Where a registration stands.
 * - `registering`: first write in progress.
 * - `registered`: the key is in etcd, attached to the live lease.
 * - `recovering`: the lease was lost or the key deleted; it is being written again.
 * - `lost`: the plain `Session` it was attached to is gone; nothing will re-register it.
 * - `deregistered`: removed by `deregister()` or `close()`.
 */
export type RegistrationState = 'registering' | 'registered' | 'recovering' | 'lost' | 'deregistered';

/**
 * Handle of one registered instance. `state` and `onStateChange` drive readiness checks;
 * `deregister()` deletes the key at once (not after the TTL).
 */
export class Registration implements AsyncDisposable {
  private current: RegistrationState = 'registering';
  private readonly listeners = new Set<(state: RegistrationState) => void>();

  /** @internal Created by `ServiceRegistry.register`. */
  constructor(
    /** The etcd key, `<prefix>/<service>/<address>`. */
    readonly key: string,
    /** Service name. */
    readonly service: string,
    /** `host:port`. */
    readonly address: string,
    /** Metadata as stored. */
    readonly metadata: InstanceMetadata,
    private readonly remove: (registration: Registration) => Promise<void>,
    // Checks the session's deadline (which may move the state on, synchronously).
    private readonly probe: () => void = () => undefined,
  ) {}

  /**
   * Current state, checked against the session's deadline when read: right after a stalled
   * event loop that outlasted the lease it is already `recovering` (or `lost`), not
   * `registered`, and it becomes `registered` again only once the key was really written anew.
   */
  get state(): RegistrationState {
    this.probe();
    return this.current;
  }

  /** True while the key is in etcd on the live lease: use it as a readiness check. */
  get registered(): boolean {
    return this.state === 'registered';
  }

  /** Calls `listener` on every state change. Returns an unsubscribe function. */
  onStateChange(listener: (state: RegistrationState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves once the registration is (again) in etcd.
   * @throws {EtcdPatternsError} `ABORTED`, or `DISCOVERY_DEREGISTERED` / `SESSION_LOST` when it
   *   can never become registered.
   */
  whenRegistered(options: { signal?: AbortSignal } = {}): Promise<void> {
    throwIfAborted(options.signal);
    if (this.state === 'registered') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        off();
        reject(abortError(options.signal!));
      };
      const check = (state: RegistrationState): void => {
        if (state === 'registered') resolve();
        else if (state === 'deregistered') reject(new EtcdPatternsError('DISCOVERY_DEREGISTERED', `${this.key} was deregistered`));
        else if (state === 'lost') reject(new EtcdPatternsError('SESSION_LOST', `${this.key}: its session was lost`));
        else return;
        off();
      };
      const unsubscribe = this.onStateChange(check);
      const off = (): void => {
        unsubscribe();
        options.signal?.removeEventListener('abort', onAbort);
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      check(this.current);
    });
  }

  /** Deletes the key now (only if it is still ours). Idempotent; never throws for etcd being down. */
  async deregister(): Promise<void> {
    await this.remove(this);
  }

  /** Same as {@link deregister}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.deregister();
  }

  /** @internal */
  setState(state: RegistrationState): void {
    if (this.current === state || this.current === 'deregistered') return;
    this.current = state;
    for (const listener of [...this.listeners]) listener(state);
  }
}
