import { status as GrpcStatus } from '@grpc/grpc-js';
import { BrokenCircuitError } from 'cockatiel';
import * as etcd3 from 'etcd3';
import { EtcdPatternsError, type EtcdErrorCode } from './errors';

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
// The alarms etcd raises refuse writes with these messages (RESOURCE_EXHAUSTED and DATA_LOSS);
// callers must tell "cluster full" and "member corrupt" from "unreachable".
const NOSPACE = /database space exceeded/;
const CORRUPT = /corrupt cluster/;

/**
 * Converts anything etcd3 or grpc-js throws into an {@link EtcdPatternsError}, by class or
 * gRPC status code. Errors that already are `EtcdPatternsError` are returned unchanged.
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
  for (const [cls, code] of BY_CLASS) {
    if (error instanceof cls) return new EtcdPatternsError(code, prefix + message, { cause: error });
  }
  const status = (error as { code?: unknown } | null)?.code;
  const code = typeof status === 'number' ? BY_STATUS.get(status) : undefined;
  return new EtcdPatternsError(code ?? 'ETCD_INTERNAL', prefix + message, { cause: error });
}
