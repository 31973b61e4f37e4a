import { status } from '@grpc/grpc-js';
import { EtcdLeaseInvalidError, EtcdPermissionDeniedError, GRPCInvalidArgumentError, GRPCUnavailableError } from 'etcd3';
import { EtcdPatternsError, EtcdTlsError } from './errors';
import { isStaleAuthToken, toEtcdError } from './grpc-errors';

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

  it('gives a request above --max-request-bytes its own code, whichever side of the gRPC limit', () => {
    const etcdRefusal = new GRPCInvalidArgumentError('etcdserver: request is too large');
    expect(toEtcdError(etcdRefusal, 'publish')).toMatchObject({ code: 'ETCD_REQUEST_TOO_LARGE', retryable: false, cause: etcdRefusal });
    const grpcRefusal = Object.assign(new Error('8 RESOURCE_EXHAUSTED: grpc: received message larger than max (700000 vs. 590000)'), { code: status.RESOURCE_EXHAUSTED });
    expect(toEtcdError(grpcRefusal).code).toBe('ETCD_REQUEST_TOO_LARGE');
    // grpc-js's own limit on what it receives is about the response, not the request.
    const tooBig = Object.assign(new Error('8 RESOURCE_EXHAUSTED: Received message larger than max (10485760 vs 4194304)'), { code: status.RESOURCE_EXHAUSTED });
    expect(toEtcdError(tooBig).code).toBe('ETCD_RESPONSE_TOO_LARGE');
  });

  it('keeps the cause and passes EtcdPatternsError through', () => {
    const cause = new Error('boom');
    expect(toEtcdError(cause)).toMatchObject({ code: 'ETCD_INTERNAL', cause });
    const ours = new EtcdPatternsError('ABORTED', 'x');
    expect(toEtcdError(ours)).toBe(ours);
  });

  it('turns failed TLS handshakes into ETCD_TLS_FAILED with a reason, not retryable', () => {
    const unavailable = (last: string): Error =>
      Object.assign(new Error(`14 UNAVAILABLE: No connection established. Last error: ${last}. Resolution note: `), { code: status.UNAVAILABLE });
    const cases: Array<[string, string, RegExp]> = [
      ['Error: unable to verify the first certificate', 'server-untrusted', /^connect: server certificate not trusted by the CA in ETCD_CA_FILE .*: unable to verify the first certificate$/],
      ['Error: self-signed certificate in certificate chain', 'server-untrusted', /not trusted/],
      [
        "Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list: ",
        'name-mismatch',
        /server name mismatch/,
      ],
      ['Error: certificate has expired', 'certificate-expired', /certificate expired/],
      [
        '80BC2250BD7F0000:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 42\n (2026-12-02T04:36:12.445Z)',
        'client-rejected',
        /client certificate rejected by the server .*: sslv3 alert bad certificate$/,
      ],
      ['C0:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:x.c:1:SSL alert number 116', 'client-rejected', /rejected/],
      ['C0:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:x.c:1:', 'not-tls', /does not speak TLS/],
    ];
    for (const [last, reason, message] of cases) {
      const e = toEtcdError(unavailable(last), 'connect');
      expect(e).toBeInstanceOf(EtcdTlsError);
      expect(e).toMatchObject({ code: 'ETCD_TLS_FAILED', retryable: false, reason });
      expect(e.message).toMatch(message);
    }
    // A plain connection failure stays retryable.
    expect(toEtcdError(unavailable('Error: connect ECONNREFUSED 127.0.0.1:1'))).toMatchObject({ code: 'ETCD_UNAVAILABLE', retryable: true });
  });

  it('reports a token the member forgot as a retryable auth failure', () => {
    const raw = Object.assign(new Error('16 UNAUTHENTICATED: etcdserver: invalid auth token'), { code: status.UNAUTHENTICATED });
    expect(toEtcdError(raw, 'watch')).toMatchObject({ code: 'ETCD_AUTH_FAILED', retryable: true });
    expect(isStaleAuthToken('rpc error: code = Unauthenticated desc = etcdserver: invalid auth token')).toBe(true);
    const wrong = Object.assign(new Error('16 UNAUTHENTICATED: etcdserver: authentication failed, invalid user ID or password'), { code: status.UNAUTHENTICATED });
    expect(toEtcdError(wrong)).toMatchObject({ code: 'ETCD_AUTH_FAILED', retryable: false });
    expect(isStaleAuthToken(wrong)).toBe(false);
  });
});
