import type { Etcd3 } from 'etcd3';
import { abortError, EtcdPatternsError, throwIfAborted } from './errors';
import { toEtcdError } from './grpc-errors';
import { abortableSleep, Backoff } from './internal/backoff';
import { Session, type SessionOptions } from './session';

/** Options for {@link SessionKeeper.start}. */
export interface SessionKeeperOptions extends Omit<SessionOptions, 'signal'> {
  /** Called with every error met while (re-)creating sessions; they are retried forever. */
  readonly onError?: (error: EtcdPatternsError) => void;
}

/**
 * Keeps one {@link Session} alive for the life of a process, and after a loss (an etcd outage
 * longer than the TTL, a partition, a revoke) grants a new lease with jittered backoff, forever,
 * until closed. Registrations attach to it so they can re-register on every new lease; locks
 * and elections should use a plain `Session`, whose loss is final by design.
 */
export class SessionKeeper implements AsyncDisposable {
  private session: Session | undefined;
  private readonly listeners = new Set<(session: Session) => void>();
  private readonly waiters = new Set<(session: Session) => void>();
  private readonly stopped = new AbortController();
  private loop: Promise<void> | undefined;

  private constructor(
    /** The client sessions are created with. */
    readonly client: Etcd3,
    private readonly options: SessionKeeperOptions,
  ) {}

  /** Starts acquiring a session in the background. Never throws for etcd being down. */
  static start(client: Etcd3, options: SessionKeeperOptions = {}): SessionKeeper {
    const keeper = new SessionKeeper(client, options);
    keeper.loop = keeper.run();
    return keeper;
  }

  /** The live session, or undefined while none is held. */
  get current(): Session | undefined {
    return this.session && !this.session.lost.aborted ? this.session : undefined;
  }

  /** Fires once `close()` was called. */
  get closed(): AbortSignal {
    return this.stopped.signal;
  }

  /**
   * Resolves with the live session, waiting for the next one if there is none.
   * @throws {EtcdPatternsError} `ABORTED` when the signal fires, `ETCD_CLIENT_CLOSED` after `close()`.
   */
  async ready(options: { signal?: AbortSignal } = {}): Promise<Session> {
    throwIfAborted(options.signal);
    if (this.closed.aborted) throw new EtcdPatternsError('ETCD_CLIENT_CLOSED', 'session keeper closed');
    const live = this.current;
    if (live) return live;
    return new Promise<Session>((resolve, reject) => {
      const signals = [options.signal, this.closed].filter((s): s is AbortSignal => s !== undefined);
      const detach = (): void => signals.forEach((s) => s.removeEventListener('abort', onAbort));
      const onAbort = (): void => {
        detach();
        this.waiters.delete(waiter);
        reject(options.signal?.aborted ? abortError(options.signal) : new EtcdPatternsError('ETCD_CLIENT_CLOSED', 'session keeper closed'));
      };
      const waiter = (session: Session): void => {
        detach();
        resolve(session);
      };
      this.waiters.add(waiter);
      signals.forEach((s) => s.addEventListener('abort', onAbort, { once: true }));
    });
  }

  /** Calls `listener` with each new session (not the current one). Returns an unsubscribe. */
  onSession(listener: (session: Session) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops renewing and closes (revokes) the current session. Idempotent. */
  async close(): Promise<void> {
    if (!this.stopped.signal.aborted) this.stopped.abort();
    await this.loop;
    await this.session?.close().catch(() => undefined);
  }

  /** Same as {@link close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async run(): Promise<void> {
    const backoff = new Backoff({ initialMs: 200, maxMs: 1000 });
    const signal = this.stopped.signal;
    while (!signal.aborted) {
      try {
        const session = await Session.create(this.client, { ...this.options, signal });
        backoff.reset();
        this.session = session;
        for (const waiter of [...this.waiters]) waiter(session);
        this.waiters.clear();
        for (const listener of [...this.listeners]) listener(session);
        // Both may already have fired: an abort event is never sent twice.
        if (!session.lost.aborted && !signal.aborted) {
          await new Promise<void>((resolve) => {
            const done = (): void => {
              session.lost.removeEventListener('abort', done);
              signal.removeEventListener('abort', done);
              resolve();
            };
            session.lost.addEventListener('abort', done, { once: true });
            signal.addEventListener('abort', done, { once: true });
          });
        }
      } catch (error) {
        if (signal.aborted) return;
        this.options.onError?.(toEtcdError(error, 'session'));
        await abortableSleep(backoff.next(), signal, { unref: true }).catch(() => undefined);
      }
    }
  }
}
