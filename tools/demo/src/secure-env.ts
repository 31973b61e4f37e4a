import type { AppName } from './app-process';

/** A certificate and its key (PEM paths), as `TestPki` issues them. */
export interface SecureCertFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** The TLS and credential files of one app in the secure demo (see {@link secureAppEnv}). */
export interface SecureAppFiles {
  /** The CA that signed the etcd members, the clients and the gRPC servers. */
  readonly caFile: string;
  /** The app's etcd client certificate (its CN is its etcd user; the console's names no user). */
  readonly clientCert: SecureCertFiles;
  /** The app's etcd password file (mode 0600); required for every app but the console. */
  readonly passwordFile?: string;
  /** The app's gRPC server certificate, naming the service (`DNS:greeter`); greeter and worker only. */
  readonly grpcServerCert?: SecureCertFiles;
}

/** Thrown when the files given do not fit the app (a missing password file or server certificate). */
export class SecureDemoError extends Error {
  /** Stable code: `DEMO_SECURE_FAILED`. */
  readonly code = 'DEMO_SECURE_FAILED';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecureDemoError';
  }
}

/**
 * The etcd user each app runs as in the secure demo (the users of deploy/access.yaml). The
 * console has none: it holds no etcd credentials, and each visitor signs in as an etcd user.
 */
export const SECURE_APP_USER: Readonly<Record<AppName, string | undefined>> = {
  greeter: 'greeter',
  gateway: 'gateway',
  worker: 'worker',
  backup: 'backup',
  console: undefined,
};

/**
 * Name of the console's client certificate (its subject `O=`; it has no CN). etcd takes a
 * certificate's CN as the user of requests that carry no password token: without one, the
 * certificate passes `--client-cert-auth` but grants nothing: the console's own requests are
 * refused (etcd sees an empty user name), its visitors' requests carry their tokens.
 */
export const CONSOLE_CERT_NAME = 'demo-console';

/** The config namespace the greeters read in the secure demo (deploy/access.yaml grants `prod/greeter`). */
export const SECURE_CONFIG_NAMESPACE = 'prod/greeter';

/** The apps that serve gRPC (their server certificate must name them) and those that call them. */
const GRPC_SERVERS: ReadonlySet<AppName> = new Set(['greeter', 'worker']);
const GRPC_CALLERS: ReadonlySet<AppName> = new Set(['gateway', 'worker']);

/**
 * The environment that puts one app in secure mode: TLS to etcd with its own client
 * certificate (`ETCD_CA_FILE`, `ETCD_CERT_FILE`, `ETCD_KEY_FILE`), its own etcd user with the
 * password in a file (`ETCD_USERNAME`, `ETCD_PASSWORD_FILE`: never the password itself), gRPC TLS
 * for the servers (`GRPC_TLS_CERT_FILE`/`GRPC_TLS_KEY_FILE`) and the callers (`GRPC_TLS_CA_FILE`).
 * Only paths: nothing secret is in the returned values.
 * @throws {SecureDemoError} when an app with an etcd user has no password file, or a gRPC server no server certificate.
 */
export function secureAppEnv(app: AppName, files: SecureAppFiles): Record<string, string> {
  const env: Record<string, string> = {
    ETCD_CA_FILE: files.caFile,
    ETCD_CERT_FILE: files.clientCert.certFile,
    ETCD_KEY_FILE: files.clientCert.keyFile,
  };
  const user = SECURE_APP_USER[app];
  if (user !== undefined) {
    if (!files.passwordFile) throw new SecureDemoError(`${app} runs as the etcd user ${user}: it needs a password file`);
    env['ETCD_USERNAME'] = user;
    env['ETCD_PASSWORD_FILE'] = files.passwordFile;
  }
  if (GRPC_SERVERS.has(app)) {
    if (!files.grpcServerCert) throw new SecureDemoError(`${app} serves gRPC: it needs a server certificate with DNS:${app} in its SANs`);
    env['GRPC_TLS_CERT_FILE'] = files.grpcServerCert.certFile;
    env['GRPC_TLS_KEY_FILE'] = files.grpcServerCert.keyFile;
  }
  if (GRPC_CALLERS.has(app)) env['GRPC_TLS_CA_FILE'] = files.caFile;
  return env;
}

/** The demo's command line (`npm run demo -- --secure`). */
export interface DemoArgs {
  /** TLS + etcd auth + gRPC TLS (`--secure`). */
  readonly secure: boolean;
}

/**
 * Parses the demo's arguments: none (the plain demo) or `--secure`.
 * @throws {SecureDemoError} for anything else, with the usage.
 */
export function parseDemoArgs(argv: readonly string[]): DemoArgs {
  let secure = false;
  for (const arg of argv) {
    if (arg === '--secure') secure = true;
    else throw new SecureDemoError(`unknown argument ${arg}: usage: npm run demo [-- --secure]`);
  }
  return { secure };
}
