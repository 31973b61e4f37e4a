// gRPC TLS between services, the handshakes that must fail: a real grpc-js server on loopback
// (port chosen by the OS) and certificates made at test time with openssl (TestPki). Each bad
// pairing fails the call at once with UNAVAILABLE, never at its deadline, and grpcTlsErrorOf
// names the cause with GRPC_TLS_FAILED and a reason.
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestPki, type CertFiles } from '@etcd-patterns/etcd-cluster';
import { grpcChannelCredentials, grpcServerCredentials, type GrpcTlsFiles } from './grpc-tls';
import { GrpcTlsError, grpcTlsErrorOf } from './grpc-tls-error';
import { callEcho, EchoClient, echoServiceDefinition, type EchoMessage } from './testing';

jest.setTimeout(60_000);

/** Far beyond any handshake: a call still pending when it passes fails DEADLINE_EXCEEDED, not UNAVAILABLE. */
const DEADLINE_MS = 20_000;

describe('gRPC TLS handshakes that must fail, promptly and clearly (real grpc-js on loopback)', () => {
  let dir: string;
  let pki: TestPki;
  let greeterCert: CertFiles;
  const servers: grpc.Server[] = [];
  const clients: grpc.Client[] = [];

  /** A TLS (or plaintext, with `undefined`) echo server on 127.0.0.1:0; resolves with its port. */
  const serve = async (files: GrpcTlsFiles | undefined): Promise<number> => {
    const server = new grpc.Server();
    server.addService(echoServiceDefinition, {
      echo: (_call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>, done: grpc.sendUnaryData<EchoMessage>) => done(null, { text: 'hi', server: 'greeter' }),
    });
    servers.push(server);
    const credentials = files ? grpcServerCredentials(files) : grpc.ServerCredentials.createInsecure();
    return new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (error, port) => (error ? reject(error) : resolve(port))));
  };
  /** One call to `port` as the `etcd:///greeter` channels make it: the authority is the service name. */
  const call = (port: number, files: GrpcTlsFiles | undefined): Promise<EchoMessage> => {
    const credentials = files ? grpcChannelCredentials(files) : grpc.credentials.createInsecure();
    const client = new EchoClient(`127.0.0.1:${port}`, credentials, { 'grpc.ssl_target_name_override': 'greeter', 'grpc.default_authority': 'greeter' });
    clients.push(client);
    return callEcho(client, DEADLINE_MS);
  };
  const failure = async (port: number, files: GrpcTlsFiles | undefined): Promise<grpc.ServiceError> => {
    const error = await call(port, files).then(
      () => undefined,
      (e: unknown) => e as grpc.ServiceError,
    );
    if (!error) throw new Error('the call succeeded, but the handshake should have failed');
    // Not a hang to the deadline: the handshake's failure ends the call.
    expect(grpc.status[error.code]).toBe('UNAVAILABLE');
    return error;
  };
  const expectTls = (error: grpc.ServiceError, reason: GrpcTlsError['reason']): GrpcTlsError => {
    const tls = grpcTlsErrorOf(error);
    expect(tls).toBeInstanceOf(GrpcTlsError);
    expect(tls).toMatchObject({ code: 'GRPC_TLS_FAILED', reason, retryable: false, grpcCode: grpc.status.UNAVAILABLE, cause: error });
    return tls!;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'grpc-tls-int-'));
    pki = await TestPki.create(dir);
    greeterCert = await pki.serverCert('greeter', { subjectAltNames: ['DNS:greeter', 'IP:127.0.0.1'] });
  });
  afterAll(() => {
    for (const c of clients) c.close();
    for (const s of servers) s.forceShutdown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('succeeds with the right CA and name (the control case)', async () => {
    const port = await serve(greeterCert);
    await expect(call(port, { caFile: pki.caFile })).resolves.toMatchObject({ text: 'hi' });
  });

  it('refuses a server signed by another CA: server-untrusted', async () => {
    const port = await serve(greeterCert);
    const tls = expectTls(await failure(port, { caFile: pki.otherCaFile }), 'server-untrusted');
    expect(tls.message).toContain('GRPC_TLS_CA_FILE');
  });

  it('refuses an expired server certificate: certificate-expired', async () => {
    const expired = await pki.serverCert('greeter-old', { subjectAltNames: ['DNS:greeter'], expired: true });
    const port = await serve(expired);
    expectTls(await failure(port, { caFile: pki.caFile }), 'certificate-expired');
  });

  it('refuses a certificate that does not name the service: name-mismatch', async () => {
    const other = await pki.serverCert('worker', { subjectAltNames: ['DNS:worker'] });
    const port = await serve(other);
    const tls = expectTls(await failure(port, { caFile: pki.caFile }), 'name-mismatch');
    expect(tls.message).toContain('DNS:<service>');
  });

  it('refuses a TLS channel to a plaintext server: not-tls', async () => {
    const port = await serve(undefined);
    expectTls(await failure(port, { caFile: pki.caFile }), 'not-tls');
  });

  it('fails a plaintext channel to a TLS server at once (UNAVAILABLE; nothing in it says TLS, so it is not mapped)', async () => {
    const port = await serve(greeterCert);
    const error = await failure(port, undefined);
    expect(grpcTlsErrorOf(error)).toBeUndefined();
  });

  it('with mutual TLS, refuses a client without a certificate (client-rejected) or with an untrusted one, and accepts one with', async () => {
    const port = await serve({ ...greeterCert, clientCaFile: pki.caFile });
    expectTls(await failure(port, { caFile: pki.caFile }), 'client-rejected');
    const untrusted = await pki.clientCert('gateway', { ca: 'other' });
    // Under TLS 1.3 the client may finish its side before the server's alert arrives: then the
    // answer is a plain "Failed to connect". Either way the call fails at once.
    const rejected = grpcTlsErrorOf(await failure(port, { caFile: pki.caFile, ...untrusted }));
    if (rejected) expect(rejected.reason).toBe('client-rejected');
    const gateway = await pki.clientCert('gateway');
    await expect(call(port, { caFile: pki.caFile, ...gateway })).resolves.toMatchObject({ text: 'hi' });
  });

  it('maps only TLS failures', () => {
    expect(grpcTlsErrorOf(new Error('boom'))).toBeUndefined();
    expect(grpcTlsErrorOf(Object.assign(new Error('14 UNAVAILABLE: Connection dropped'), { code: grpc.status.UNAVAILABLE, details: 'Connection dropped', metadata: new grpc.Metadata() }))).toBeUndefined();
    const deadline = Object.assign(new Error('x'), { code: grpc.status.DEADLINE_EXCEEDED, details: 'certificate has expired', metadata: new grpc.Metadata() });
    expect(grpcTlsErrorOf(deadline)).toBeUndefined();
  });
});
