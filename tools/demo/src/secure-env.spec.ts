import { CONSOLE_CERT_NAME, parseDemoArgs, SECURE_APP_USER, secureAppEnv, SecureDemoError } from './secure-env';

const ca = '/state/pki/ca.pem';
const cert = (name: string) => ({ certFile: `/state/pki/client-${name}.pem`, keyFile: `/state/pki/client-${name}-key.pem` });
const server = (name: string) => ({ certFile: `/state/pki/server-${name}.pem`, keyFile: `/state/pki/server-${name}-key.pem` });
const password = (user: string) => `/state/secrets/etcd-${user}-password`;

describe('secure demo environment', () => {
  it("gives the greeter its own user, password file, client certificate and gRPC server certificate", () => {
    expect(secureAppEnv('greeter', { caFile: ca, clientCert: cert('greeter'), passwordFile: password('greeter'), grpcServerCert: server('greeter') })).toEqual({
      ETCD_CA_FILE: ca,
      ETCD_CERT_FILE: '/state/pki/client-greeter.pem',
      ETCD_KEY_FILE: '/state/pki/client-greeter-key.pem',
      ETCD_USERNAME: 'greeter',
      ETCD_PASSWORD_FILE: '/state/secrets/etcd-greeter-password',
      GRPC_TLS_CERT_FILE: '/state/pki/server-greeter.pem',
      GRPC_TLS_KEY_FILE: '/state/pki/server-greeter-key.pem',
    });
  });

  it('makes the gateway and the worker verify the gRPC servers with the CA; the worker serves TLS too', () => {
    const gateway = secureAppEnv('gateway', { caFile: ca, clientCert: cert('gateway'), passwordFile: password('gateway') });
    expect(gateway).toMatchObject({ ETCD_USERNAME: 'gateway', GRPC_TLS_CA_FILE: ca });
    expect(gateway).not.toHaveProperty('GRPC_TLS_CERT_FILE');
    const worker = secureAppEnv('worker', { caFile: ca, clientCert: cert('worker'), passwordFile: password('worker'), grpcServerCert: server('worker') });
    expect(worker).toMatchObject({ ETCD_USERNAME: 'worker', GRPC_TLS_CA_FILE: ca, GRPC_TLS_CERT_FILE: '/state/pki/server-worker.pem' });
  });

  it('runs every app as a different etcd user, and the console as none (its visitors sign in)', () => {
    const users = Object.entries(SECURE_APP_USER).filter(([, user]) => user !== undefined).map(([, user]) => user);
    expect(new Set(users).size).toBe(users.length);
    const consoleEnv = secureAppEnv('console', { caFile: ca, clientCert: cert(CONSOLE_CERT_NAME) });
    expect(consoleEnv).toEqual({ ETCD_CA_FILE: ca, ETCD_CERT_FILE: `/state/pki/client-${CONSOLE_CERT_NAME}.pem`, ETCD_KEY_FILE: `/state/pki/client-${CONSOLE_CERT_NAME}-key.pem` });
    expect(Object.keys(consoleEnv).some((k) => /USERNAME|PASSWORD/.test(k))).toBe(false);
  });

  it('passes paths only, never a password variable', () => {
    for (const app of ['greeter', 'worker', 'gateway', 'backup'] as const) {
      const env = secureAppEnv(app, { caFile: ca, clientCert: cert(app), passwordFile: password(app), grpcServerCert: server(app) });
      expect(env).not.toHaveProperty('ETCD_PASSWORD');
      for (const value of Object.values(env)) expect(value.startsWith('/') || value === app).toBe(true);
    }
  });

  it('refuses an app without its password file or a gRPC server without its certificate', () => {
    expect(() => secureAppEnv('backup', { caFile: ca, clientCert: cert('backup') })).toThrow(SecureDemoError);
    expect(() => secureAppEnv('worker', { caFile: ca, clientCert: cert('worker'), passwordFile: password('worker') })).toThrow(/DNS:worker/);
  });

  it('parses the command line: nothing, or --secure', () => {
    expect(parseDemoArgs([])).toEqual({ secure: false });
    expect(parseDemoArgs(['--secure'])).toEqual({ secure: true });
    expect(() => parseDemoArgs(['--secrue'])).toThrow(expect.objectContaining({ code: 'DEMO_SECURE_FAILED', message: expect.stringContaining('--secrue') }));
  });
});
