import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Etcd3 } from '@etcd-patterns/etcd';
import type { ClusterOps } from '@etcd-patterns/ops';
import { closeConnection, type EtcdConnection } from './etcd-access';

/** One signed-in browser. */
export interface ConsoleSession {
  /** Random 32-byte id (base64url), the value of the session cookie. */
  readonly id: string;
  /** Random 32-byte token (base64url) every non-GET request must send in `x-csrf-token`. */
  readonly csrfToken: string;
  /** The etcd user the session acts as; `''` while etcd auth is off. */
  readonly username: string;
  /** The name typed at sign-in (the same as `username` with auth on). */
  readonly signInName: string;
  readonly authEnabled: boolean;
  readonly roles: readonly string[];
  /** The etcd client of the session (shared by every session while auth is off). */
  readonly client: Etcd3;
  readonly ops: ClusterOps;
  /** Fires when the session ends (sign-out, idle timeout, shutdown): live streams stop. */
  readonly ended: AbortSignal;
}

interface Entry {
  readonly session: ConsoleSession;
  readonly connection: EtcdConnection;
  /** Whether the connection is the session's own (closed with it). */
  readonly owned: boolean;
  readonly end: AbortController;
  lastSeenMs: number;
}

/** Options of {@link SessionStore}. */
export interface SessionStoreOptions {
  /** A session without requests for this long ends, in ms. */
  readonly idleTimeoutMs: number;
  /** Most sessions kept; beyond, the least recently used ends (default 1000). */
  readonly maxSessions?: number;
  /** Clock, for tests (default `Date.now`). */
  readonly now?: () => number;
}

/** What {@link SessionStore.create} needs. */
export interface NewSession {
  readonly username: string;
  readonly signInName: string;
  readonly authEnabled: boolean;
  readonly roles: readonly string[];
  readonly connection: EtcdConnection;
  /** The connection belongs to this session alone and is closed with it. */
  readonly owned: boolean;
}

/**
 * Sessions in memory. Ids and CSRF tokens are 32 random bytes; a session ends after
 * `idleTimeoutMs` without requests (checked on every lookup and by a sweep once a minute, its
 * timer unref'ed), on sign-out, or when the store closes, and its own etcd client is closed then.
 * No password is kept here: only the etcd client holds it.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly options: SessionStoreOptions) {
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => void this.sweep(), Math.min(60_000, options.idleTimeoutMs));
    this.sweeper.unref();
  }

  /** Number of live sessions. */
  get size(): number {
    return this.sessions.size;
  }

  /** Starts a session. The store takes over closing an `owned` connection. */
  create(input: NewSession): ConsoleSession {
    if (this.closed) {
      if (input.owned) void closeConnection(input.connection);
      throw new Error('the session store is closed');
    }
    const end = new AbortController();
    const session: ConsoleSession = {
      id: randomBytes(32).toString('base64url'),
      csrfToken: randomBytes(32).toString('base64url'),
      username: input.username,
      signInName: input.signInName,
      authEnabled: input.authEnabled,
      roles: [...input.roles],
      client: input.connection.client,
      ops: input.connection.ops,
      ended: end.signal,
    };
    this.sessions.set(session.id, { session, connection: input.connection, owned: input.owned, end, lastSeenMs: this.now() });
    const max = this.options.maxSessions ?? 1000;
    while (this.sessions.size > max) {
      const oldest = [...this.sessions.values()].reduce((a, b) => (b.lastSeenMs < a.lastSeenMs ? b : a));
      void this.end(oldest.session.id);
    }
    return session;
  }

  /** The live session with this id (and marks it used), or undefined. */
  get(id: string | undefined): ConsoleSession | undefined {
    if (!id) return undefined;
    const entry = this.sessions.get(id);
    if (!entry) return undefined;
    if (this.now() - entry.lastSeenMs > this.options.idleTimeoutMs) {
      void this.end(id);
      return undefined;
    }
    entry.lastSeenMs = this.now();
    return entry.session;
  }

  /** Whether `token` is the session's CSRF token (constant-time comparison). */
  static csrfMatches(session: ConsoleSession, token: unknown): boolean {
    if (typeof token !== 'string') return false;
    const a = Buffer.from(token);
    const b = Buffer.from(session.csrfToken);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** Ends a session (closing its own client). Idempotent. */
  async end(id: string): Promise<void> {
    const entry = this.sessions.get(id);
    if (!entry) return;
    this.sessions.delete(id);
    entry.end.abort();
    if (entry.owned) await closeConnection(entry.connection);
  }

  /** Ends every session for which `test` holds (e.g. all auth-off sessions once auth is enabled). */
  async endWhere(test: (session: ConsoleSession) => boolean): Promise<number> {
    const ids = [...this.sessions.values()].filter((e) => test(e.session)).map((e) => e.session.id);
    await Promise.all(ids.map((id) => this.end(id)));
    return ids.length;
  }

  /** Ends every session and stops the sweep. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.keys()].map((id) => this.end(id)));
  }

  private async sweep(): Promise<void> {
    const now = this.now();
    const idle = [...this.sessions.values()].filter((e) => now - e.lastSeenMs > this.options.idleTimeoutMs);
    await Promise.all(idle.map((e) => this.end(e.session.id)));
  }
}
