import { status as GrpcStatus } from '@grpc/grpc-js';

/** HTTP status for a gRPC status code from an upstream call. */
export function httpStatusForGrpc(code: number): number {
  switch (code) {
    case GrpcStatus.INVALID_ARGUMENT:
    case GrpcStatus.OUT_OF_RANGE:
      return 400;
    case GrpcStatus.UNAUTHENTICATED:
      return 401;
    case GrpcStatus.PERMISSION_DENIED:
      return 403;
    case GrpcStatus.NOT_FOUND:
      return 404;
    case GrpcStatus.ALREADY_EXISTS:
    case GrpcStatus.ABORTED:
    case GrpcStatus.FAILED_PRECONDITION:
      return 409;
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return 429;
    case GrpcStatus.CANCELLED:
      return 499;
    case GrpcStatus.UNIMPLEMENTED:
      return 501;
    case GrpcStatus.UNAVAILABLE:
      return 503;
    case GrpcStatus.DEADLINE_EXCEEDED:
      return 504;
    default:
      return 502; // UNKNOWN, INTERNAL, DATA_LOSS: the upstream failed
  }
}

/** A gRPC `ServiceError` as grpc-js (and Nest's gRPC client) rejects with. */
export function isGrpcError(error: unknown): error is { code: number; details: string; message: string } {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; details?: unknown };
  return typeof e.code === 'number' && Number.isInteger(e.code) && e.code >= 0 && e.code <= 16 && typeof e.details === 'string';
}

/** `SCREAMING_SNAKE` name of a gRPC status code. */
export function grpcStatusName(code: number): string {
  return (GrpcStatus as unknown as Record<number, string>)[code] ?? 'UNKNOWN';
}

/** Short `SCREAMING_SNAKE` name of an HTTP status, for the `error` field of error bodies. */
export function httpErrorName(status: number): string {
  const names: Record<number, string> = {
    400: 'BAD_REQUEST',
    401: 'UNAUTHORIZED',
    403: 'FORBIDDEN',
    404: 'NOT_FOUND',
    405: 'METHOD_NOT_ALLOWED',
    408: 'REQUEST_TIMEOUT',
    409: 'CONFLICT',
    413: 'PAYLOAD_TOO_LARGE',
    415: 'UNSUPPORTED_MEDIA_TYPE',
    422: 'UNPROCESSABLE_ENTITY',
    429: 'TOO_MANY_REQUESTS',
    431: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
    499: 'CLIENT_CLOSED_REQUEST',
    500: 'INTERNAL',
    501: 'NOT_IMPLEMENTED',
    502: 'BAD_GATEWAY',
    503: 'UNAVAILABLE',
    504: 'GATEWAY_TIMEOUT',
  };
  return names[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');
}
