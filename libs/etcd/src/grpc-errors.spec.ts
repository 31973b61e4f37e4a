import { status } from '@grpc/grpc-js';
import { EtcdLeaseInvalidError, EtcdPermissionDeniedError, GRPCInvalidArgumentError, GRPCUnavailableError } from 'etcd3';
import { EtcdPatternsError } from './errors';
import { toEtcdError } from './grpc-errors';

describe('toEtcdError', () => {
  it('maps etcd3 error classes', () => {
    expect(toEtcdError(new GRPCUnavailableError('x'))).toMatchObject({ code: 'ETCD_UNAVAILABLE', retryable: true });
    expect(toEtcdError(new EtcdPermissionDeniedError('x'))).toMatchObject({ code: 'ETCD_PERMISSION_DENIED', retryable: false });
    expect(toEtcdError(new EtcdLeaseInvalidError('1'))).toMatchObject({ code: 'ETCD_LEASE_NOT_FOUND' });
  });

  it('maps raw gRPC status codes from streams', () => {
    const raw = Object.assign(new Error('14 UNAVAILABLE'), { code: status.UNAVAILABLE });
    expect(toEtcdError(raw, 'watch')).toMatchObject({ code: 'ETCD_UNAVAILABLE', message: 'watch: 14 UNAVAILABLE' });
    const denied = Object.assign(new Error('denied'), { code: status.PERMISSION_DENIED });
    expect(toEtcdError(denied).code).toBe('ETCD_PERMISSION_DENIED');
  });

  it('reports a request without credentials to an auth-enabled cluster as an auth failure', () => {
    const empty = new GRPCInvalidArgumentError('etcdserver: user name is empty');
    expect(toEtcdError(empty, 'put')).toMatchObject({ code: 'ETCD_AUTH_FAILED', message: expect.stringContaining('put: etcd requires credentials') });
    expect(toEtcdError(new GRPCInvalidArgumentError('etcdserver: too many operations in txn request')).code).toBe('ETCD_INVALID_ARGUMENT');
  });

  it('gives the NOSPACE and CORRUPT alarms their own codes, so "full" differs from "unreachable"', () => {
    const full = Object.assign(new Error('8 RESOURCE_EXHAUSTED: etcdserver: mvcc: database space exceeded'), { code: status.RESOURCE_EXHAUSTED });
    expect(toEtcdError(full, 'put')).toMatchObject({ code: 'ETCD_NOSPACE', retryable: false, message: expect.stringContaining('put: the cluster is out of space') });
    expect(toEtcdError(new Error('etcdserver: mvcc: database space exceeded')).code).toBe('ETCD_NOSPACE');
    const corrupt = Object.assign(new Error('15 DATA_LOSS: etcdserver: corrupt cluster'), { code: status.DATA_LOSS });
    expect(toEtcdError(corrupt)).toMatchObject({ code: 'ETCD_CORRUPT', retryable: false });
  });

  it('keeps the cause and passes EtcdPatternsError through', () => {
    const cause = new Error('boom');
    expect(toEtcdError(cause)).toMatchObject({ code: 'ETCD_INTERNAL', cause });
    const ours = new EtcdPatternsError('ABORTED', 'x');
    expect(toEtcdError(ours)).toBe(ours);
  });
});
