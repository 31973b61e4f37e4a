import { ConfigurableModuleBuilder, Inject, Injectable, Module, type BeforeApplicationShutdown, type OnApplicationShutdown } from '@nestjs/common';
import { Session, type Etcd3 } from '@etcd-patterns/etcd';
import { Election, Mutex, runAsLeader, withLock, type LockHandle, type Leadership, type RunAsLeaderOptions } from '@etcd-patterns/lock';
import { ETCD_CLIENT } from './tokens';

/** Options of {@link LockModule}. */
export interface LockModuleOptions {
  /** TTL of the session behind locks and elections, in seconds (default 10). */
  readonly sessionTtlSeconds?: number;
}

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } = new ConfigurableModuleBuilder<LockModuleOptions>()
  .setClassMethodName('forRoot')
  .build();

/**
 * Locks, elections and leader-only tasks for a Nest app, over `@etcd-patterns/lock`. Locks
 * share one session (lease); when it is lost, held locks report it on `lost` and the next
 * call gets a fresh session. Leader loops started with `runAsLeader` stop in
 * `beforeApplicationShutdown` (their task's signal fires, leadership is resigned).
 */
@Injectable()
export class LockService implements BeforeApplicationShutdown, OnApplicationShutdown {
  private session: Promise<Session> | undefined;
  private readonly stop = new AbortController();
  private readonly loops = new Set<Promise<void>>();
  private readonly leading = new Map<string, Leadership>();

  constructor(
    @Inject(ETCD_CLIENT) private readonly client: Etcd3,
    @Inject(MODULE_OPTIONS_TOKEN) private readonly options: LockModuleOptions,
  ) {}

  /** The shared session, created on first use and replaced after a loss. */
  async currentSession(): Promise<Session> {
    const existing = await this.session?.catch(() => undefined);
    if (existing && !existing.lost.aborted) return existing;
    this.session = Session.create(this.client, { ttlSeconds: this.options.sessionTtlSeconds ?? 10 });
    return this.session;
  }

  /** A Go-compatible mutex on the shared session. */
  async mutex(name: string): Promise<Mutex> {
    return new Mutex(await this.currentSession(), name);
  }

  /** Runs `fn` while holding `name`; see `withLock` in `@etcd-patterns/lock`. */
  async withLock<T>(name: string, fn: (handle: LockHandle, signal: AbortSignal) => Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
    return withLock(await this.currentSession(), name, fn, options);
  }

  /** A Go-compatible election on the shared session. */
  async election(name: string): Promise<Election> {
    return new Election(await this.currentSession(), name);
  }

  /**
   * Runs `task` only while this instance leads election `name`, campaigning again after each
   * term, until the app shuts down. Each term uses its own session, so a lost term never
   * affects locks. Returns at once; errors go to `options.onError`.
   */
  runAsLeader(name: string, value: string, task: (leadership: Leadership, signal: AbortSignal) => Promise<void> | void, options: Omit<RunAsLeaderOptions, 'signal'> = {}): void {
    const loop = runAsLeader(
      () => Session.create(this.client, { ttlSeconds: this.options.sessionTtlSeconds ?? 10 }),
      name,
      value,
      async (leadership, signal) => {
        this.leading.set(name, leadership);
        try {
          await task(leadership, signal);
        } finally {
          this.leading.delete(name);
        }
      },
      { ...options, signal: this.stop.signal },
    ).catch((error: unknown) => options.onError?.(error));
    this.loops.add(loop);
    void loop.finally(() => this.loops.delete(loop));
  }

  /** Whether this instance currently leads `name` (through {@link runAsLeader}). */
  isLeader(name: string): boolean {
    return this.leading.get(name)?.held ?? false;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stop.abort();
    await Promise.all(this.loops);
  }

  async onApplicationShutdown(): Promise<void> {
    const session = await this.session?.catch(() => undefined);
    await session?.close().catch(() => undefined);
  }
}

/** Provides {@link LockService}. Needs {@link EtcdModule}. */
@Module({ providers: [LockService], exports: [LockService] })
export class LockModule extends ConfigurableModuleClass {}
