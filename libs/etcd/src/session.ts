import type { Etcd3 } from 'etcd3';
import { EtcdPatternsError, throwIfAborted } from './errors';
import { toEtcdError } from './grpc-errors';
import { abortableSleep, Backoff } from './internal/backoff';
import { KeepaliveChannel } from './internal/keepalive-channel';
import { budgetSpent, readClocks, StallGuard, type ClockReading, type StallGuardOptions } from './internal/stall-guard';
import { checkOnRead } from './checked-signal';
import { recordKeepaliveFailure, recordSessionLoss } from './internal/metrics';

/** Why a session's `lost` signal fired. */
export type SessionLostReason =
  /** No keepalive succeeded for TTL minus the safety margin (client clock). */
  | 'deadline'
  /** The loop-lag guard saw the process frozen past the remaining budget (`stallGuard`). */
  | 'stalled'
  /** etcd answered that the lease no longer exists (expired or revoked elsewhere). */
  | 'lease-not-found'
  /** `close()` revoked the lease. */
  | 'closed'
  /** `abandon()` stopped the keepalive. */
  | 'abandoned';

/** The reason passed to `session.lost` (as `lost.reason`). */
export class SessionLostError extends EtcdPatternsError {
  constructor(
    /** Why the session ended. */
    readonly reason: SessionLostReason,
    readonly leaseId: string,
    options: { cause?: unknown } = {},
  ) {
    super('SESSION_LOST', `session lease ${leaseId} lost: ${reason}`, { ...options, retryable: true });
  }
}

/** Options for {@link Session.create}. */
export interface SessionOptions {
  /** Lease TTL in seconds (default 60, like Go's `concurrency.Session`; etcd honours >= ~2). */
  readonly ttlSeconds?: number;
  /**
   * How long before the TTL runs out, measured from when the last successful keepalive was
   * sent, the session declares itself lost. Default: 1/6 of the TTL, at least 300 ms.
   */
  readonly safetyMarginMs?: number;
  /**
   * Loop-lag guard (default off). A cheap timer-drift check (every 100 ms) fires `lost`, with
   * reason `stalled`, by itself as soon as the event loop runs again after a freeze that ate the
   * remaining budget, and after a shorter sleep of the machine re-arms the deadline timer (which
   * runs on the monotonic clock, standing still during sleep). Without it, the deadline is still
   * checked, by both clocks, on every read of `lost` and `remainingMs()`.
   * `true` or `{ intervalMs }`.
   */
  readonly stallGuard?: boolean | StallGuardOptions;
  /** Aborts creation. */
  readonly signal?: AbortSignal;
}

/**
 * One lease per process, kept alive in the background and shared by every registration,
 * lock and election of the process (the model is etcd's Go `concurrency.Session`).
 *
 * **Fault behaviour.** A keepalive is sent every TTL/3; a failed or unanswered one is retried
 * at once on another member with a short jittered backoff. `lost` fires, from the client's own
 * clock, when no keepalive has succeeded for `TTL - safetyMargin` since the last successful one
 * was *sent*: the server cannot expire the lease before that, so the holder always knows
 * first. It also fires when etcd says the lease is gone. It does not fire while keepalives
 * succeed, whatever happens to etcd leaders or members. After `lost` the session is dead: the
 * keepalive stops, the lease is revoked on a best-effort basis, and owners must create a new
 * session.
 *
 * **Truthful when read.** A timer cannot fire while the event loop is blocked, so `lost` and
 * {@link remainingMs} also compare the clocks with the deadline each time they are read (the
 * monotonic clock, and the wall clock, which keeps running while the machine sleeps; a wall
 * clock set forwards ends the session early, which fails safe): the first read after a stall past the deadline reports the loss (and `abort` listeners
 * run then), even through a reference to `lost` kept from earlier. **A late reply does not
 * revive it:** a keepalive answered during a stall but processed after the deadline leaves the
 * session lost, because another process may already own what it guarded.
 *
 * **Metrics** (OpenTelemetry, no-ops without a MeterProvider): failed keepalives count into
 * `etcd_patterns.etcd.session.keepalive_failures`, losses (not `close()`/`abandon()`) into
 * `etcd_patterns.etcd.session.losses` by `reason`.
 */
export class Session implements AsyncDisposable {
  private readonly controller = new AbortController();
  private readonly stop = new AbortController();
  private deadlineTimer: NodeJS.Timeout | undefined;
  private readonly keepalive: KeepaliveChannel;
  private loop: Promise<void> | undefined;
  // When the last successful keepalive (or the grant) was sent, by both clocks.
  private lastSentOk: ClockReading;
  private started = false;
  private stallGuard: StallGuard | undefined;

  private constructor(
    /** The client the session was created with. */
    readonly client: Etcd3,
    /** Lease id as a decimal string (63-bit; never a JS number). */
    readonly leaseId: string,
    /** Lease TTL granted by etcd, in seconds. */
    readonly ttlSeconds: number,
    /** See {@link SessionOptions.safetyMarginMs}. */
    readonly safetyMarginMs: number,
    grantSentAt: ClockReading,
  ) {
    this.keepalive = new KeepaliveChannel(client, leaseId);
    this.lastSentOk = grantSentAt;
    checkOnRead(this.controller.signal, () => this.checkDeadline());
  }

  /**
   * Grants a lease and starts keeping it alive.
   * @throws {EtcdPatternsError} `ETCD_UNAVAILABLE` (after retries), `ETCD_AUTH_FAILED`,
   *   `ETCD_INVALID_CONFIG` for a TTL under 1 s, `ABORTED`.
   */
  static async create(client: Etcd3, options: SessionOptions = {}): Promise<Session> {
    const ttlSeconds = options.ttlSeconds ?? 60;
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
      throw new EtcdPatternsError('ETCD_INVALID_CONFIG', `ttlSeconds must be a whole number >= 1, got ${ttlSeconds}`);
    }
    const margin = options.safetyMarginMs ?? Math.max(300, (ttlSeconds * 1000) / 6);
    const backoff = new Backoff({ initialMs: 100, maxMs: 2000 });
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(options.signal);
      const sentAt = readClocks();
      try {
        // A grant that failed may still have created a lease; nobody keeps it alive, so it
        // expires on its own. Retrying is therefore safe.
        const res = await client.leaseClient.leaseGrant({ TTL: ttlSeconds, ID: 0 });
        const session = new Session(client, res.ID, Number(res.TTL), margin, sentAt);
        // A grant that took longer than the budget (e.g. while the cluster elected a leader)
        // gives no proof the lease is still fresh: prove it with one keepalive first.
        if (session.remainingMs() <= session.keepaliveTimeoutMs()) await session.confirm(options.signal);
        session.start(options.stallGuard);
        // A confirmation answered after the budget (the loop was blocked) proves nothing: the
        // session would be born lost. Try again with a new lease.
        if (session.lost.aborted) {
          throw new EtcdPatternsError('ETCD_DEADLINE_EXCEEDED', `lease ${res.ID} was confirmed too late to be trusted`, { retryable: true });
        }
        return session;
      } catch (error) {
        const e = toEtcdError(error, 'lease grant');
        if (!e.retryable || attempt >= 5) throw e;
        await abortableSleep(backoff.next(), options.signal);
      }
    }
  }

  /**
   * Fires once when the session is lost, closed or abandoned; `reason` is a
   * {@link SessionLostError}. Reading `aborted` (or `reason`) checks the deadline first.
   */
  get lost(): AbortSignal {
    this.checkDeadline();
    return this.controller.signal;
  }

  /** Lease id in lowercase hex, the suffix Go uses in lock and election keys. */
  get leaseIdHex(): string {
    return BigInt(this.leaseId).toString(16);
  }

  /**
   * Milliseconds left before `lost` fires if no keepalive succeeds; 0 once lost. Checks the
   * deadline first, like `lost`.
   */
  remainingMs(): number {
    if (this.lost.aborted) return 0;
    const budget = this.budgetMs();
    const now = readClocks();
    // The wall clock counts too: Linux's monotonic clock stands still while the machine sleeps,
    // the lease's TTL does not. (A wall clock set backwards is ignored.)
    return Math.max(0, budget - Math.max(now.monoMs - this.lastSentOk.monoMs, now.wallMs - this.lastSentOk.wallMs));
  }

  /** Stops the keepalive and revokes the lease (its keys vanish at once). Idempotent. */
  async close(): Promise<void> {
    if (this.stop.signal.aborted) return this.loop;
    this.end('closed');
    try {
      await this.client.leaseClient.leaseRevoke({ ID: this.leaseId });
    } catch (error) {
      const e = toEtcdError(error, 'lease revoke');
      // Already gone is the outcome we wanted; an unreachable cluster lets the TTL do it.
      if (e.code !== 'ETCD_LEASE_NOT_FOUND' && !e.retryable) throw e;
    }
    await this.loop;
  }

  /** Stops the keepalive without revoking: the lease expires after its TTL. Idempotent. */
  abandon(): void {
    if (!this.stop.signal.aborted) this.end('abandoned');
  }

  /** Same as {@link close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // One keepalive now, timed from when it was sent; the lease is revoked if that fails.
  private async confirm(signal: AbortSignal | undefined): Promise<void> {
    const sentAt = readClocks();
    try {
      const ttl = await this.keepalive.send(this.keepaliveTimeoutMs(), signal ?? new AbortController().signal);
      // (Before start() nothing is owned yet, so a slow answer is proof enough.)
      if (ttl <= 0) throw new EtcdPatternsError('ETCD_LEASE_NOT_FOUND', `lease ${this.leaseId} expired before its first keepalive`, { retryable: true });
      this.lastSentOk = sentAt;
    } catch (error) {
      this.keepalive.close();
      this.client.leaseClient.leaseRevoke({ ID: this.leaseId }).catch(() => undefined);
      const e = toEtcdError(error, 'first keepalive');
      recordKeepaliveFailure(e.code);
      throw e;
    }
  }

  private start(stallGuard: SessionOptions['stallGuard']): void {
    this.started = true;
    if (stallGuard) {
      const options = stallGuard === true ? {} : stallGuard;
      // After a gap in the loop (a stall, or the machine slept): lost if it ate the budget, else
      // re-arm the deadline timer, which runs on the monotonic clock only.
      this.stallGuard = new StallGuard(() => {
        if (this.budgetExhausted()) this.end('stalled');
        else this.armDeadline();
      }, options);
    }
    this.armDeadline();
    this.loop = this.run().catch(() => undefined);
  }

  // How long after the last successful keepalive was sent `lost` fires.
  private budgetMs(): number {
    return this.ttlSeconds * 1000 - this.safetyMarginMs;
  }

  // How long a keepalive may stay unanswered before it is retried.
  private keepaliveTimeoutMs(): number {
    return Math.min(2000, (this.ttlSeconds * 1000) / 3);
  }

  private budgetExhausted(): boolean {
    return budgetSpent(this.lastSentOk, readClocks(), this.budgetMs());
  }

  // Ends the session at once if its deadline has passed: the timer may not have had a chance.
  private checkDeadline(): void {
    if (this.started && !this.stop.signal.aborted && this.budgetExhausted()) this.end('deadline');
  }

  private async run(): Promise<void> {
    const ttlMs = this.ttlSeconds * 1000;
    const backoff = new Backoff({ initialMs: 50, maxMs: Math.max(100, ttlMs / 8) });
    const signal = this.stop.signal;
    while (!signal.aborted) {
      const sentAt = readClocks();
      try {
        const ttl = await this.keepalive.send(this.keepaliveTimeoutMs(), signal);
        // A reply processed after the deadline (the loop was blocked) must not revive the session.
        this.checkDeadline();
        if (signal.aborted) return;
        if (ttl <= 0) return this.end('lease-not-found');
        if (sentAt.monoMs > this.lastSentOk.monoMs) this.lastSentOk = sentAt;
        this.armDeadline();
        backoff.reset();
        await abortableSleep(ttlMs / 3, signal, { unref: true });
      } catch (error) {
        if (signal.aborted) return;
        recordKeepaliveFailure(toEtcdError(error).code);
        this.keepalive.reset();
        await abortableSleep(backoff.next(), signal, { unref: true }).catch(() => undefined);
      }
    }
  }

  private armDeadline(): void {
    clearTimeout(this.deadlineTimer);
    const due = this.remainingMs();
    if (due <= 0) return this.end('deadline');
    this.deadlineTimer = setTimeout(() => this.end('deadline'), due);
    this.deadlineTimer.unref();
  }

  private end(reason: SessionLostReason): void {
    if (this.stop.signal.aborted) return;
    clearTimeout(this.deadlineTimer);
    this.stallGuard?.stop();
    this.stop.abort();
    this.keepalive.close();
    this.controller.abort(new SessionLostError(reason, this.leaseId));
    if (reason !== 'closed' && reason !== 'abandoned') recordSessionLoss(reason);
    if (reason === 'deadline' || reason === 'stalled') {
      // We stopped acting as owner; make sure the server agrees soon, if it can be reached.
      this.client.leaseClient.leaseRevoke({ ID: this.leaseId }).catch(() => undefined);
    }
  }
}
