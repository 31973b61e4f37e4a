import { status } from '@grpc/grpc-js';
import { grpcStatusName, httpErrorName, httpStatusForGrpc, isGrpcError } from './http-errors';

describe('gRPC to HTTP status mapping', () => {
  it.each([
    [status.INVALID_ARGUMENT, 400],
    [status.NOT_FOUND, 404],
    [status.ALREADY_EXISTS, 409],
    [status.PERMISSION_DENIED, 403],
    [status.UNAUTHENTICATED, 401],
    [status.RESOURCE_EXHAUSTED, 429],
    [status.UNAVAILABLE, 503],
    [status.DEADLINE_EXCEEDED, 504],
    [status.UNIMPLEMENTED, 501],
    [status.INTERNAL, 502],
    [status.UNKNOWN, 502],
  ])('gRPC %s -> HTTP %s', (code, http) => {
    expect(httpStatusForGrpc(code)).toBe(http);
  });

  it('recognises grpc-js service errors by shape, not by message', () => {
    expect(isGrpcError(Object.assign(new Error('14 UNAVAILABLE: x'), { code: 14, details: 'x' }))).toBe(true);
    expect(isGrpcError({ code: 'ETCD_UNAVAILABLE', details: 'x' })).toBe(false);
    expect(isGrpcError({ code: 99, details: 'x' })).toBe(false);
    expect(isGrpcError(new Error('UNAVAILABLE'))).toBe(false);
  });

  it('names statuses', () => {
    expect(grpcStatusName(status.DEADLINE_EXCEEDED)).toBe('DEADLINE_EXCEEDED');
    expect(httpErrorName(503)).toBe('UNAVAILABLE');
    expect(httpErrorName(418)).toBe('BAD_REQUEST');
  });
});
