import { applyAccessPlan, isAuthEnabled, parseAccessFile, planAccess, readAccessState, type AccessSpec } from '@etcd-patterns/config';
import { createEtcdClient, type CreateEtcdClientOptions } from '@etcd-patterns/etcd';
import type { CertFiles, TestPki } from '@etcd-patterns/etcd-cluster';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT, type AppName } from './app-process';
import { CONSOLE_CERT_NAME, SECURE_APP_USER, secureAppEnv, SecureDemoError } from './secure-env';

/** Options of {@link prepareSecureDemo}. */
export interface PrepareSecureDemoOptions {
  /** Client endpoints of a cluster serving TLS with `--client-cert-auth` (`127.0.0.1:PORT`). */
  readonly endpoints: readonly string[];
  /** The PKI whose CA the cluster trusts: client and gRPC server certificates are issued from it. */
  readonly pki: TestPki;
  /** Where the passwords (`secrets/`, mode 0700, files 0600), the access file and `operator.env` go. */
  readonly stateDir: string;
  /** The access file to apply; default deploy/access.yaml. Its `/run/secrets/` paths are moved to `stateDir/secrets/`. */
  readonly accessFile?: string;
}

/** A cluster made secure by {@link prepareSecureDemo}: the files each app and the operator use. */
export interface SecureDemo {
  /** The CA of the cluster, the clients and the gRPC servers. */
  readonly caFile: string;
  /** Where the passwords are (`etcd-<user>-password`, mode 0600). */
  readonly secretsDir: string;
  /** Shell variables (paths only) for epctl and etcdctl as root: `source` it. */
  readonly operatorEnvFile: string;
  /** The users of the access file. */
  readonly users: readonly string[];
  /** The password file of a user of the access file. */
  passwordFile(user: string): string;
  /** The client certificate issued for a user (CN = the user) or for the console. */
  clientCert(user: string): CertFiles;
  /** The secure environment of an app (see `secureAppEnv`): its user, password file, certificates. */
  appEnv(app: AppName): Record<string, string>;
  /** Client-library options to connect as `user` (TLS, its certificate and password file; nothing from this process's env). */
  clientOptions(user: string): CreateEtcdClientOptions;
}

/** Password file name of `user`, as in deploy/access.yaml (`/run/secrets/etcd-<user>-password`). */
const passwordFileName = (user: string): string => `etcd-${user}-password`;

function writeSecret(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600); // an existing file keeps its mode otherwise
}

/**
 * Turns a fresh TLS cluster into the secure demo, with the logic of `epctl access apply`:
 * 1. a random password per user of the access file, in `stateDir/secrets/` (0600, never logged);
 * 2. a client certificate per user (its CN is the user: `--client-cert-auth`), one without a CN
 *    for the console (it names no user: without a visitor's token etcd refuses the console
 *    everything), and gRPC server certificates naming `greeter` and `worker`;
 * 3. the access file applied as root (root bootstrapped, then auth enabled); a second call on
 *    the same cluster finds nothing to change.
 *
 * The PKI directory holds the CA key and root's certificate (which is root under
 * `--client-cert-auth`): it is made 0700, as the secrets directory.
 * @throws {SecureDemoError} when the access file does not parse; `OpensslError`; `ConfigError`/`EtcdPatternsError` from applying.
 */
export async function prepareSecureDemo(options: PrepareSecureDemoOptions): Promise<SecureDemo> {
  const { pki, stateDir } = options;
  const secretsDir = join(stateDir, 'secrets');
  mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  chmodSync(stateDir, 0o700);
  chmodSync(secretsDir, 0o700);
  chmodSync(pki.dir, 0o700);

  const source = options.accessFile ?? join(REPO_ROOT, 'deploy', 'access.yaml');
  const accessPath = join(stateDir, 'access.yaml');
  writeSecret(accessPath, readFileSync(source, 'utf8').replaceAll('/run/secrets/', `${secretsDir}/`));
  let spec: AccessSpec;
  try {
    spec = parseAccessFile(parse(readFileSync(accessPath, 'utf8')) as unknown, accessPath);
  } catch (error) {
    throw new SecureDemoError(`the access file ${source} does not parse: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const users = spec.users.map((u) => u.name);
  for (const user of spec.users) {
    if (user.passwordFile) writeSecret(user.passwordFile, `${randomBytes(18).toString('base64url')}\n`);
  }
  for (const [app, user] of Object.entries(SECURE_APP_USER)) {
    if (user !== undefined && !users.includes(user)) throw new SecureDemoError(`the access file has no user ${user} for the ${app}`);
  }

  // openssl's CA database is one file: issue one at a time.
  const certs = new Map<string, CertFiles>();
  for (const user of users) certs.set(user, await pki.clientCert(user, { fileStem: `client-${user}` }));
  certs.set(CONSOLE_CERT_NAME, await pki.clientCert(CONSOLE_CERT_NAME, { fileStem: `client-${CONSOLE_CERT_NAME}`, noCommonName: true }));
  const grpcServerCerts = new Map<AppName, CertFiles>();
  for (const app of ['greeter', 'worker'] as const) {
    grpcServerCerts.set(app, await pki.serverCert(`${app}-grpc`, { subjectAltNames: [`DNS:${app}`, 'IP:127.0.0.1', 'DNS:localhost'] }));
  }

  const passwordFile = (user: string): string => {
    if (!users.includes(user)) throw new SecureDemoError(`no user ${user} in the access file`);
    return join(secretsDir, passwordFileName(user));
  };
  const clientCert = (user: string): CertFiles => {
    const cert = certs.get(user);
    if (!cert) throw new SecureDemoError(`no client certificate for ${user}`);
    return cert;
  };
  const clientOptions = (user: string): CreateEtcdClientOptions => ({
    endpoints: options.endpoints,
    caFile: pki.caFile,
    certFile: clientCert(user).certFile,
    keyFile: clientCert(user).keyFile,
    username: user,
    passwordFile: passwordFile(user),
    env: {},
  });

  // `epctl access apply FILE --yes` as root: root's certificate is root while auth is off too.
  const root = clientCert('root');
  const admin = await createEtcdClient({ endpoints: options.endpoints, caFile: pki.caFile, certFile: root.certFile, keyFile: root.keyFile, env: {} });
  try {
    const state = await readAccessState(admin, await isAuthEnabled(admin));
    const plan = await planAccess(admin, spec, state);
    await applyAccessPlan(admin, plan);
  } finally {
    admin.close();
  }

  const operatorEnvFile = join(stateDir, 'operator.env');
  const https = options.endpoints.map((e) => `https://${e}`).join(',');
  writeSecret(
    operatorEnvFile,
    [
      '# The secure demo as root, for epctl and etcdctl: source this file (paths only, no secret).',
      `export ETCD_ENDPOINTS=${options.endpoints.join(',')}`,
      `export ETCD_CA_FILE=${pki.caFile} ETCD_CERT_FILE=${root.certFile} ETCD_KEY_FILE=${root.keyFile}`,
      `export ETCD_USERNAME=root ETCD_PASSWORD_FILE=${passwordFile('root')}`,
      `export ETCDCTL_ENDPOINTS=${https} ETCDCTL_CACERT=${pki.caFile} ETCDCTL_CERT=${root.certFile} ETCDCTL_KEY=${root.keyFile}`,
      '',
    ].join('\n'),
  );

  return {
    caFile: pki.caFile,
    secretsDir,
    operatorEnvFile,
    users,
    passwordFile,
    clientCert,
    clientOptions,
    appEnv: (app) => {
      const user = SECURE_APP_USER[app];
      return secureAppEnv(app, {
        caFile: pki.caFile,
        clientCert: clientCert(user ?? CONSOLE_CERT_NAME),
        ...(user ? { passwordFile: passwordFile(user) } : {}),
        ...(grpcServerCerts.has(app) ? { grpcServerCert: grpcServerCerts.get(app)! } : {}),
      });
    },
  };
}
