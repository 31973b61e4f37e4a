import { status, type ServiceError } from '@grpc/grpc-js';
import { EtcdPatternsError, type TlsFailureReason } from '@etcd-patterns/etcd';

/**
 * `GRPC_TLS_FAILED`: a call between services failed because the TLS handshake did (never
 * retryable: the same certificates fail the same way). `reason` says which side is wrong:
 * - `server-untrusted`: the server's certificate is not signed by the CA in `GRPC_TLS_CA_FILE`;
 * - `name-mismatch`: its SANs do not name the service dialled (`DNS:greeter` for `etcd:///greeter`);
 * - `certificate-expired`: a certificate has expired (or is not valid yet);
 * - `client-rejected`: the server asks for a client certificate (mutual TLS) and got none, or one it does not trust;
 * - `not-tls`: the server speaks plaintext to this TLS channel.
 *
 * A plaintext channel to a TLS server fails at once too, with UNAVAILABLE "Failed to connect",
 * but nothing in that answer says TLS: it is not mapped (see {@link grpcTlsErrorOf}).
 */
export class GrpcTlsError extends EtcdPatternsError {
  /** What failed; see the class description. */
  readonly reason: TlsFailureReason;
  /** The gRPC status of the failed call (UNAVAILABLE). */
  readonly grpcCode: status;

  constructor(reason: TlsFailureReason, message: string, options: { readonly cause?: unknown; readonly grpcCode?: status } = {}) {
    super('GRPC_TLS_FAILED', message, { cause: options.cause, retryable: false });
    this.name = 'GrpcTlsError';
    this.reason = reason;
    this.grpcCode = options.grpcCode ?? status.UNAVAILABLE;
  }
}

// grpc-js reports a failed handshake only as text: UNAVAILABLE "No connection established.
// Last error: <Node or OpenSSL message>". These are Node's X.509 verification messages and
// OpenSSL's alert reason strings (stable for years), the same that libs/etcd maps for etcd
// connections; the first match wins, so "expired" comes before the others.
const FAILURES: ReadonlyArray<readonly [RegExp, TlsFailureReason, string]> = [
  [/certificate has expired|alert certificate expired|certificate is not yet valid/i, 'certificate-expired', 'certificate expired (or not yet valid)'],
  [/does not match certificate's altnames|ERR_TLS_CERT_ALTNAME_INVALID/i, 'name-mismatch', "server name mismatch: the server's certificate does not name the service dialled (it needs DNS:<service> in its SANs)"],
  [
    /unable to verify the first certificate|unable to get (local )?issuer certificate|self[- ]signed certificate|certificate signature failure|certificate not trusted/i,
    'server-untrusted',
    'server certificate not trusted by the CA in GRPC_TLS_CA_FILE',
  ],
  [
    /alert (bad certificate|unknown ca|certificate unknown|certificate required|certificate revoked|unsupported certificate|access denied)/i,
    'client-rejected',
    'client certificate rejected by the server (missing, not signed by a CA it trusts, or expired)',
  ],
  [/wrong version number|packet length too long|unknown protocol/i, 'not-tls', 'the server does not speak TLS (a plaintext server behind a TLS channel)'],
];

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number';
}

/**
 * The {@link GrpcTlsError} behind a failed gRPC call, or undefined when the call did not fail
 * in a TLS handshake (only UNAVAILABLE calls are looked at). The original error is its `cause`.
 *
 * @example
 * client.sayHello(req, (error) => { const tls = grpcTlsErrorOf(error); if (tls) log.error({ reason: tls.reason }, tls.message); });
 */
export function grpcTlsErrorOf(error: unknown): GrpcTlsError | undefined {
  if (error instanceof GrpcTlsError) return error;
  if (!isServiceError(error) || error.code !== status.UNAVAILABLE) return undefined;
  const text = error.details || error.message;
  for (const [pattern, reason, summary] of FAILURES) {
    if (pattern.test(text)) return new GrpcTlsError(reason, `gRPC TLS handshake failed: ${summary} (${detail(text)})`, { cause: error, grpcCode: error.code });
  }
  return undefined;
}

// "No connection established. Last error: Error [CODE]: text (timestamp). Resolution note: " -> "text".
function detail(text: string): string {
  return text
    .replace(/^No connection established\. Last error: /, '')
    .replace(/^Error( \[[A-Z_]+\])?: /, '')
    .replace(/\s*(\(\d{4}-[^)]*\))?\.?\s*Resolution note:.*$/s, '')
    .replace(/^[0-9A-F]+:error:[0-9A-F]+:SSL routines:[a-z0-9_]+:([^:]+):.*$/s, '$1')
    .trim();
}
