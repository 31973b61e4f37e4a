import { status as GrpcStatus } from '@grpc/grpc-js';
import { BrokenCircuitError } from 'cockatiel';
import * as etcd3 from 'etcd3';
import { EtcdPatternsError, EtcdTlsError, type EtcdErrorCode, type TlsFailureReason } from './errors';

// etcd3 already turned most gRPC errors into classes; raw stream errors still carry the
// numeric gRPC status. Both are mapped here and nowhere else.
const BY_CLASS: ReadonlyArray<readonly [new (...args: never[]) => Error, EtcdErrorCode]> = [
  [etcd3.EtcdAuthenticationFailedError, 'ETCD_AUTH_FAILED'],
  [etcd3.EtcdInvalidAuthTokenError, 'ETCD_AUTH_FAILED'],
  [etcd3.GRPCUnauthenticatedError, 'ETCD_AUTH_FAILED'],
  [etcd3.EtcdPermissionDeniedError, 'ETCD_PERMISSION_DENIED'],
  [etcd3.EtcdLeaseInvalidError, 'ETCD_LEASE_NOT_FOUND'],
  [etcd3.GRPCUnavailableError, 'ETCD_UNAVAILABLE'],
  [etcd3.GRPCDeadlineExceededError, 'ETCD_DEADLINE_EXCEEDED'],
  [etcd3.GRPCInvalidArgumentError, 'ETCD_INVALID_ARGUMENT'],
  [etcd3.GRPCOutOfRangeError, 'ETCD_COMPACTED'],
  [etcd3.ClientClosedError, 'ETCD_CLIENT_CLOSED'],
  [etcd3.GRPCCancelledError, 'ETCD_UNAVAILABLE'],
  // Every member failed recently and the pool's circuit breakers refuse to try them yet.
  [BrokenCircuitError, 'ETCD_UNAVAILABLE'],
];

const BY_STATUS: ReadonlyMap<number, EtcdErrorCode> = new Map([
  [GrpcStatus.UNAVAILABLE, 'ETCD_UNAVAILABLE'],
  [GrpcStatus.DEADLINE_EXCEEDED, 'ETCD_DEADLINE_EXCEEDED'],
  [GrpcStatus.UNAUTHENTICATED, 'ETCD_AUTH_FAILED'],
  [GrpcStatus.PERMISSION_DENIED, 'ETCD_PERMISSION_DENIED'],
  [GrpcStatus.NOT_FOUND, 'ETCD_LEASE_NOT_FOUND'],
  [GrpcStatus.OUT_OF_RANGE, 'ETCD_COMPACTED'],
  [GrpcStatus.INVALID_ARGUMENT, 'ETCD_INVALID_ARGUMENT'],
  [GrpcStatus.CANCELLED, 'ETCD_UNAVAILABLE'],
  [GrpcStatus.RESOURCE_EXHAUSTED, 'ETCD_NOSPACE'],
  [GrpcStatus.DATA_LOSS, 'ETCD_CORRUPT'],
]);

// etcd answers a request without credentials on an auth-enabled cluster with INVALID_ARGUMENT
// "etcdserver: user name is empty"; to the caller that is an authentication failure.
const MISSING_CREDENTIALS = /user name is empty/;
// A token the member does not know (expired after --auth-token-ttl without use on that member,
// or issued before it restarted). Unary calls: etcd3 re-authenticates by itself. Streams: the
// stream openers drop the cached token (refreshAuthToken) and retry.
const STALE_TOKEN = /invalid auth token/;
// Authenticate on a cluster with auth disabled (FAILED_PRECONDITION).
const AUTH_NOT_ENABLED = /authentication is not enabled/;
// The alarms etcd raises refuse writes with these messages (RESOURCE_EXHAUSTED and DATA_LOSS);
// callers must tell "cluster full" and "member corrupt" from "unreachable".
const NOSPACE = /database space exceeded/;
const CORRUPT = /corrupt cluster/;
// A request above --max-request-bytes: etcd's own refusal (INVALID_ARGUMENT) and, for one above
// that limit plus 512 KiB, the Go gRPC server's (RESOURCE_EXHAUSTED, "grpc: " prefix; grpc-js's
// own receive limit on responses says "Received message larger than max" without it).
const REQUEST_TOO_LARGE = /etcdserver: request is too large|grpc: received message larger than max/;
// grpc-js refusing a response above its receive limit (4 MiB by default), RESOURCE_EXHAUSTED too.
const RESPONSE_TOO_LARGE = /Received message larger than max/;

// TLS handshake failures reach callers only as text: grpc-js reports a failed connection as
// UNAVAILABLE "No connection established. Last error: <Node or OpenSSL message>", without the
// Node error code. These are Node's X.509 verification messages and OpenSSL's alert reason
// strings (stable for years); the first match wins, so "expired" is checked before "rejected".
const TLS_FAILURES: ReadonlyArray<readonly [RegExp, TlsFailureReason, string]> = [
  [/certificate has expired|alert certificate expired|certificate is not yet valid/i, 'certificate-expired', 'certificate expired (or not yet valid)'],
  [/does not match certificate's altnames|ERR_TLS_CERT_ALTNAME_INVALID/i, 'name-mismatch', "server name mismatch: the server's certificate does not name the endpoint dialled"],
  [
    /unable to verify the first certificate|unable to get (local )?issuer certificate|self[- ]signed certificate|certificate signature failure|certificate not trusted/i,
    'server-untrusted',
    'server certificate not trusted by the CA in ETCD_CA_FILE (or the system CAs when it is not set)',
  ],
  [
    /alert (bad certificate|unknown ca|certificate unknown|certificate required|certificate revoked|unsupported certificate|access denied)/i,
    'client-rejected',
    'client certificate rejected by the server (missing, not signed by a CA it trusts, or expired)',
  ],
  [/wrong version number|packet length too long|unknown protocol/i, 'not-tls', 'the endpoint does not speak TLS'],
  [/Failed to load credentials/, 'credentials-invalid', 'the TLS files could not be used'],
];

/**
 * True when etcd refused a request, a stream or a watch (`cancel_reason`) because the auth
 * token is unknown to that member: authenticating again fixes it.
 * @internal
 */
export function isStaleAuthToken(errorOrReason: unknown): boolean {
  const text = errorOrReason instanceof Error ? errorOrReason.message : String(errorOrReason ?? '');
  return STALE_TOKEN.test(text);
}

/**
 * The TLS failure described by a grpc-js/OpenSSL message, or undefined. Exported for the
 * client factory's own checks; {@link toEtcdError} applies it to every error.
 * @internal
 */
export function tlsFailureOf(message: string): { reason: TlsFailureReason; summary: string } | undefined {
  for (const [pattern, reason, summary] of TLS_FAILURES) if (pattern.test(message)) return { reason, summary };
  return undefined;
}

// "14 UNAVAILABLE: No connection established. Last error: Error [CODE]: text (timestamp).
// Resolution note: " -> "text".
function handshakeDetail(message: string): string {
  return message
    .replace(/^\d+ [A-Z_]+: No connection established\. Last error: /, '')
    .replace(/\. Resolution note:[\s\S]*$/, '')
    .replace(/\s*\(\d{4}-\d\d-\d\dT[\d:.]+Z\)\s*$/, '')
    .replace(/^Error(?: \[[A-Z_]+\])?: /, '')
    // OpenSSL: "80BC...:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:file:line:..."
    .replace(/^[0-9A-F]+:error:[0-9A-F]+:SSL routines:[^:]*:([^:]+):[\s\S]*$/, '$1')
    .trim();
}

/**
 * Converts anything etcd3 or grpc-js throws into an {@link EtcdPatternsError}, by class or
 * gRPC status code. Errors that already are `EtcdPatternsError` are returned unchanged. A failed
 * TLS handshake becomes an {@link EtcdTlsError} (`ETCD_TLS_FAILED`, not retryable).
 */
export function toEtcdError(error: unknown, context?: string): EtcdPatternsError {
  if (error instanceof EtcdPatternsError) return error;
  const prefix = context ? `${context}: ` : '';
  const message = error instanceof Error ? error.message : String(error);
  if (MISSING_CREDENTIALS.test(message)) {
    return new EtcdPatternsError('ETCD_AUTH_FAILED', `${prefix}etcd requires credentials (auth is enabled): ${message}`, { cause: error });
  }
  if (NOSPACE.test(message)) {
    return new EtcdPatternsError('ETCD_NOSPACE', `${prefix}the cluster is out of space (NOSPACE alarm): compact, defragment and disarm: ${message}`, { cause: error });
  }
  if (CORRUPT.test(message)) {
    return new EtcdPatternsError('ETCD_CORRUPT', `${prefix}a member's data is corrupt (CORRUPT alarm): ${message}`, { cause: error });
  }
  if (REQUEST_TOO_LARGE.test(message)) {
    return new EtcdPatternsError('ETCD_REQUEST_TOO_LARGE', `${prefix}the request is larger than the server's --max-request-bytes: ${message}`, { cause: error });
  }
  if (RESPONSE_TOO_LARGE.test(message)) {
    return new EtcdPatternsError('ETCD_RESPONSE_TOO_LARGE', `${prefix}the response is larger than the client accepts (read in pages): ${message}`, { cause: error });
  }
  if (AUTH_NOT_ENABLED.test(message)) {
    return new EtcdPatternsError('ETCD_AUTH_NOT_ENABLED', `${prefix}credentials were given but etcd auth is not enabled: ${message}`, { cause: error });
  }
  if (STALE_TOKEN.test(message)) {
    return new EtcdPatternsError('ETCD_AUTH_FAILED', `${prefix}the auth token expired (authenticate again and retry): ${message}`, { cause: error, retryable: true });
  }
  const tls = tlsFailureOf(message);
  if (tls) return new EtcdTlsError(tls.reason, `${prefix}${tls.summary}: ${handshakeDetail(message)}`, { cause: error });
  for (const [cls, code] of BY_CLASS) {
    if (error instanceof cls) return new EtcdPatternsError(code, prefix + message, { cause: error });
  }
  const status = (error as { code?: unknown } | null)?.code;
  const code = typeof status === 'number' ? BY_STATUS.get(status) : undefined;
  return new EtcdPatternsError(code ?? 'ETCD_INTERNAL', prefix + message, { cause: error });
}
