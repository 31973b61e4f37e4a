/**
 * Stable error codes of etcd-patterns. Match on these, never on message text.
 *
 * - `ETCD_INVALID_CONFIG`: options or environment are malformed (not retryable).
 * - `ETCD_UNAVAILABLE`: no member answered or the connection broke (retryable; a write that
 *   failed with it may or may not have been applied).
 * - `ETCD_DEADLINE_EXCEEDED`: the per-call deadline passed (retryable; same caveat).
 * - `ETCD_AUTH_FAILED`: wrong user name or password (not retryable); or an auth token the
 *   member no longer knows (`--auth-token-ttl` passed, member restarted): retryable, the
 *   libraries authenticate again before retrying.
 * - `ETCD_AUTH_NOT_ENABLED`: credentials were given but the cluster has auth disabled (connect
 *   without them, or enable auth first; not retryable).
 * - `ETCD_PERMISSION_DENIED`: the user may not touch that key range (not retryable).
 * - `ETCD_LEASE_NOT_FOUND`: the lease expired or was revoked (not retryable).
 * - `ETCD_COMPACTED`: a revision older than the compaction point was asked for.
 * - `ETCD_INVALID_ARGUMENT`: etcd rejected the request as malformed.
 * - `ETCD_REQUEST_TOO_LARGE`: the request is larger than the server's `--max-request-bytes`
 *   (etcd's "request is too large", or the gRPC server's message-size limit, which etcd sets to
 *   that limit plus 512 KiB). Nothing was applied (not retryable: send less, or raise the limit).
 * - `ETCD_RESPONSE_TOO_LARGE`: a response was larger than the client accepts (gRPC's 4 MiB
 *   default receive limit): read in pages (`limit`), not retryable as is.
 * - `ETCD_NOSPACE`: the cluster is full: its backend reached `--quota-backend-bytes` and the
 *   NOSPACE alarm is raised. Reads and deletes still work; writes fail until an operator
 *   compacts, defragments and disarms (not retryable by waiting).
 * - `ETCD_CORRUPT`: a member raised the CORRUPT alarm (its data disagrees with the others);
 *   the cluster refuses writes until an operator replaces the member (not retryable).
 * - `ETCD_TLS_FAILED`: the TLS handshake failed: the server's certificate is not signed by the
 *   CA in `ETCD_CA_FILE`, does not name the endpoint, or expired; or the server rejected the
 *   client certificate (not retryable: fix the files). Thrown as {@link EtcdTlsError}, whose
 *   `reason` says which.
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
  | 'ETCD_AUTH_NOT_ENABLED'
  | 'ETCD_PERMISSION_DENIED'
  | 'ETCD_LEASE_NOT_FOUND'
  | 'ETCD_COMPACTED'
  | 'ETCD_INVALID_ARGUMENT'
  | 'ETCD_REQUEST_TOO_LARGE'
  | 'ETCD_RESPONSE_TOO_LARGE'
  | 'ETCD_NOSPACE'
  | 'ETCD_CORRUPT'
  | 'ETCD_TLS_FAILED'
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

/**
 * Why a TLS connection to etcd failed:
 * - `server-untrusted`: the server's certificate is not signed by the CA in `ETCD_CA_FILE`
 *   (or by a system CA when no CA file is set).
 * - `name-mismatch`: the server's certificate does not name the host or IP dialled.
 * - `certificate-expired`: a certificate (the client's own, found before dialling, or the
 *   server's) is outside its validity period.
 * - `client-rejected`: the server refused the client certificate (missing, signed by a CA the
 *   server does not trust, or expired on the server's clock).
 * - `not-tls`: the endpoint does not speak TLS.
 * - `credentials-invalid`: the certificate, key or CA files cannot be used (no PEM, the key
 *   does not match the certificate).
 */
export type TlsFailureReason =
  | 'server-untrusted'
  | 'name-mismatch'
  | 'certificate-expired'
  | 'client-rejected'
  | 'not-tls'
  | 'credentials-invalid';

/** `ETCD_TLS_FAILED`: a TLS handshake with etcd failed, for the given `reason` (never retryable). */
export class EtcdTlsError extends EtcdPatternsError {
  /** Why the handshake failed. */
  readonly reason: TlsFailureReason;

  constructor(reason: TlsFailureReason, message: string, options: { readonly cause?: unknown } = {}) {
    super('ETCD_TLS_FAILED', message, { cause: options.cause, retryable: false });
    this.reason = reason;
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
