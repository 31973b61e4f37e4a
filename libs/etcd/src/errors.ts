/**
 * Stable error codes of etcd-patterns. Match on these, never on message text.
 *
 * - `ETCD_INVALID_CONFIG`: options or environment are malformed (not retryable).
 * - `ETCD_UNAVAILABLE`: no member answered or the connection broke (retryable; a write that
 *   failed with it may or may not have been applied).
 * - `ETCD_DEADLINE_EXCEEDED`: the per-call deadline passed (retryable; same caveat).
 * - `ETCD_AUTH_FAILED`: wrong user name or password, or an invalid token (not retryable).
 * - `ETCD_PERMISSION_DENIED`: the user may not touch that key range (not retryable).
 * - `ETCD_LEASE_NOT_FOUND`: the lease expired or was revoked (not retryable).
 * - `ETCD_COMPACTED`: a revision older than the compaction point was asked for.
 * - `ETCD_INVALID_ARGUMENT`: etcd rejected the request as malformed.
 * - `ETCD_NOSPACE`: the cluster is full: its backend reached `--quota-backend-bytes` and the
 *   NOSPACE alarm is raised. Reads and deletes still work; writes fail until an operator
 *   compacts, defragments and disarms (not retryable by waiting).
 * - `ETCD_CORRUPT`: a member raised the CORRUPT alarm (its data disagrees with the others);
 *   the cluster refuses writes until an operator replaces the member (not retryable).
 * - `ETCD_CLIENT_CLOSED`: the client was closed.
 * - `SESSION_LOST`: the session's lease is gone or may be gone (see {@link SessionLostReason}).
 * - `ABORTED`: the caller's AbortSignal fired.
 * - `ETCD_INTERNAL`: anything else etcd or gRPC reported.
 */
export type EtcdErrorCode =
  | 'ETCD_INVALID_CONFIG'
  | 'ETCD_UNAVAILABLE'
  | 'ETCD_DEADLINE_EXCEEDED'
  | 'ETCD_AUTH_FAILED'
  | 'ETCD_PERMISSION_DENIED'
  | 'ETCD_LEASE_NOT_FOUND'
  | 'ETCD_COMPACTED'
  | 'ETCD_INVALID_ARGUMENT'
  | 'ETCD_NOSPACE'
  | 'ETCD_CORRUPT'
  | 'ETCD_CLIENT_CLOSED'
  | 'SESSION_LOST'
  | 'ABORTED'
  | 'ETCD_INTERNAL';

const RETRYABLE: ReadonlySet<EtcdErrorCode> = new Set([
  'ETCD_UNAVAILABLE',
  'ETCD_DEADLINE_EXCEEDED',
]);

/** Options for {@link EtcdPatternsError}. */
export interface EtcdPatternsErrorOptions {
  /** The underlying error. */
  readonly cause?: unknown;
  /** Overrides the default retryability of the code. */
  readonly retryable?: boolean;
}

/**
 * Base class of every error thrown by etcd-patterns libraries. Carries a stable `code`,
 * whether a retry can succeed (`retryable`) and the original `cause`.
 */
export class EtcdPatternsError extends Error {
  /** Stable, SCREAMING_SNAKE error code. */
  readonly code: string;
  /** Whether retrying the same operation later can succeed. */
  readonly retryable: boolean;

  constructor(code: EtcdErrorCode | (string & {}), message: string, options: EtcdPatternsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE.has(code as EtcdErrorCode);
  }
}

/** True when `error` is an {@link EtcdPatternsError}, optionally with the given code. */
export function isEtcdPatternsError(error: unknown, code?: string): error is EtcdPatternsError {
  return error instanceof EtcdPatternsError && (code === undefined || error.code === code);
}

/** The error an aborted operation rejects with: the signal's reason wrapped with code `ABORTED`. */
export function abortError(signal: AbortSignal): EtcdPatternsError {
  const reason: unknown = signal.reason;
  if (reason instanceof EtcdPatternsError) return reason;
  return new EtcdPatternsError('ABORTED', 'the operation was aborted', { cause: reason });
}

/** Throws {@link abortError} when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}
