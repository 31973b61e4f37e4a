import { ChannelCredentials, ServerCredentials } from '@grpc/grpc-js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrpcTlsConfigError, grpcChannelCredentials, grpcServerCredentials, grpcTlsFilesFromEnv } from './grpc-tls';

describe('gRPC TLS between services', () => {
  let dir: string;
  let cert: string;
  let key: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'grpc-tls-'));
    cert = join(dir, 'cert.pem');
    key = join(dir, 'key.pem');
    // A throw-away self-signed certificate made at test time (nothing is committed).
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=greeter', '-addext', 'subjectAltName=DNS:greeter,IP:127.0.0.1'], { stdio: 'ignore' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stays plaintext when nothing is configured (the default)', () => {
    expect(grpcTlsFilesFromEnv({})).toEqual({});
    expect(grpcServerCredentials()._isSecure()).toBe(false);
    expect(grpcChannelCredentials()._isSecure()).toBe(false);
  });

  it('reads the files from the environment and makes secure credentials', () => {
    const files = grpcTlsFilesFromEnv({ GRPC_TLS_CERT_FILE: cert, GRPC_TLS_KEY_FILE: key, GRPC_TLS_CA_FILE: cert });
    expect(files).toEqual({ certFile: cert, keyFile: key, caFile: cert });
    expect(grpcServerCredentials(files)).toBeInstanceOf(ServerCredentials);
    expect(grpcServerCredentials(files)._isSecure()).toBe(true);
    expect(grpcChannelCredentials(files)).toBeInstanceOf(ChannelCredentials);
    expect(grpcChannelCredentials(files)._isSecure()).toBe(true);
  });

  it('refuses half a pair and unreadable files with a typed error', () => {
    const half = (): unknown => grpcServerCredentials({ certFile: cert });
    expect(half).toThrow(GrpcTlsConfigError);
    expect(half).toThrow(/both a certificate and its key/);
    let error: unknown;
    try {
      grpcChannelCredentials({ caFile: join(dir, 'missing.pem') });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'GRPC_TLS_INVALID_CONFIG', retryable: false });
  });
});
