import { readFileSync } from 'node:fs';
import { credentials, ServerCredentials, type ChannelCredentials } from '@grpc/grpc-js';
import { EtcdPatternsError } from '@etcd-patterns/etcd';

/**
 * TLS files of a service's gRPC server and of its clients (PEM paths). All optional: with
 * none, servers and channels stay plaintext (the default).
 */
export interface GrpcTlsFiles {
  /** Server certificate (with `keyFile`). Its SANs must name the service (`DNS:greeter`): see {@link grpcChannelCredentials}. */
  readonly certFile?: string;
  /** Private key of `certFile`. */
  readonly keyFile?: string;
  /** CA bundle clients verify servers with. Setting it makes channels use TLS. */
  readonly caFile?: string;
  /**
   * Mutual TLS, server side: the server asks every client for a certificate signed by this CA
   * bundle and refuses the handshake without one. Channels present `certFile`/`keyFile` when
   * both are set (with `caFile`). Unset by default: services authenticate to etcd, not to each other.
   */
  readonly clientCaFile?: string;
}

/** Thrown when a half-configured pair (`certFile` without `keyFile`) or an unreadable file is given. */
export class GrpcTlsConfigError extends EtcdPatternsError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('GRPC_TLS_INVALID_CONFIG', message, { ...options, retryable: false });
  }
}

/**
 * Reads `GRPC_TLS_CERT_FILE`, `GRPC_TLS_KEY_FILE` and `GRPC_TLS_CA_FILE` (empty means unset).
 * @returns the files that are set (an empty object when none is).
 */
export function grpcTlsFilesFromEnv(env: NodeJS.ProcessEnv = process.env): GrpcTlsFiles {
  const pick = (name: string): string | undefined => env[name] || undefined;
  const certFile = pick('GRPC_TLS_CERT_FILE');
  const keyFile = pick('GRPC_TLS_KEY_FILE');
  const caFile = pick('GRPC_TLS_CA_FILE');
  return { ...(certFile ? { certFile } : {}), ...(keyFile ? { keyFile } : {}), ...(caFile ? { caFile } : {}) };
}

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new GrpcTlsConfigError(`cannot read the gRPC TLS ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
}

/**
 * Credentials of a gRPC server: TLS with `certFile` + `keyFile`, plaintext when neither is
 * set. Clients are asked for certificates only with `clientCaFile` (mutual TLS); a client
 * without one then fails at once with a `GrpcTlsError` `client-rejected` (see `grpcTlsErrorOf`).
 * @throws {GrpcTlsConfigError} when only one of the pair is set, or a file cannot be read.
 */
export function grpcServerCredentials(files: GrpcTlsFiles = {}): ServerCredentials {
  if (!files.certFile && !files.keyFile) return ServerCredentials.createInsecure();
  if (!files.certFile || !files.keyFile) throw new GrpcTlsConfigError('gRPC TLS needs both a certificate and its key (GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE)');
  const clientCa = files.clientCaFile ? read(files.clientCaFile, 'client CA file') : null;
  return ServerCredentials.createSsl(clientCa, [{ cert_chain: read(files.certFile, 'certificate'), private_key: read(files.keyFile, 'key') }], clientCa !== null);
}

/**
 * Credentials of an `etcd:///service` channel: TLS verified against `caFile`, plaintext when
 * it is not set. grpc-js checks the server certificate against the channel's authority, which
 * for `etcd:///greeter` is the service name `greeter` (not the registered address), so each
 * server certificate must carry `DNS:<service>` in its SANs. An address registered by someone
 * without such a certificate then fails the handshake instead of receiving the traffic.
 * With `certFile` and `keyFile` also set, the channel presents that certificate to servers
 * that ask for one (mutual TLS, see {@link GrpcTlsFiles.clientCaFile}).
 *
 * A failed handshake fails calls at once with UNAVAILABLE, not at their deadline;
 * `grpcTlsErrorOf(error)` says why (`GRPC_TLS_FAILED` with a `reason`).
 * @throws {GrpcTlsConfigError} when a file cannot be read.
 */
export function grpcChannelCredentials(files: GrpcTlsFiles = {}): ChannelCredentials {
  if (!files.caFile) return credentials.createInsecure();
  const ca = read(files.caFile, 'CA file');
  if (!files.certFile || !files.keyFile) return credentials.createSsl(ca);
  return credentials.createSsl(ca, read(files.keyFile, 'key'), read(files.certFile, 'certificate'));
}
