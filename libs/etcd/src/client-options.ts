import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { EtcdPatternsError } from './errors';

/** Options for {@link createEtcdClient}. Anything left out is read from the environment. */
export interface EtcdClientOptions {
  /** `host:port` or `http(s)://host:port` entries. Env: `ETCD_ENDPOINTS` (comma list). Default `127.0.0.1:2379`. */
  readonly endpoints?: readonly string[];
  /** Env: `ETCD_USERNAME`. */
  readonly username?: string;
  /** Env: `ETCD_PASSWORD`. */
  readonly password?: string;
  /**
   * A file holding the password (Docker secrets convention; one trailing newline is dropped),
   * used when `password` is not given. Env: `ETCD_PASSWORD_FILE` (`ETCD_PASSWORD` wins).
   */
  readonly passwordFile?: string;
  /**
   * PEM CA bundle path. Env: `ETCD_CA_FILE`. Setting any TLS file (or an `https://` endpoint)
   * switches to TLS; without a CA file the server is checked against Node's built-in roots
   * (plus `NODE_EXTRA_CA_CERTS`).
   */
  readonly caFile?: string;
  /** PEM client certificate path (with `keyFile`). Env: `ETCD_CERT_FILE`. */
  readonly certFile?: string;
  /** PEM client key path (with `certFile`). Env: `ETCD_KEY_FILE`. */
  readonly keyFile?: string;
  /**
   * How often the TLS files are re-read, in ms (default 10000). A certificate, key or CA
   * replaced on disk is used from the next connection on (after a member restart or a dropped
   * link); open connections keep theirs. A new certificate is taken only with a key that
   * matches it.
   */
  readonly tlsReloadIntervalMs?: number;
  /** Deadline of every unary call, in ms (streams have none). Default 5000. */
  readonly callTimeoutMs?: number;
  /** How long {@link createEtcdClient} waits for the first answer, in ms. Default 3000. */
  readonly connectTimeoutMs?: number;
  /** gRPC keepalive ping interval, in ms. Default 10000 (etcd refuses pings under 5 s). */
  readonly keepaliveTimeMs?: number;
  /** gRPC keepalive ping timeout, in ms. Default 5000. */
  readonly keepaliveTimeoutMs?: number;
  /** Probe the cluster before returning (default true). */
  readonly verify?: boolean;
  /**
   * HTTP/2 flow-control window of the connections, in bytes (grpc-js default 64 KiB). A larger
   * window speeds up bulk streams (snapshots: grpc-js, unlike grpc-go, does not grow it by
   * itself) at the cost of up to that many bytes buffered per connection. Default: grpc-js's.
   */
  readonly flowControlWindowBytes?: number;
}

/** Fully resolved and validated client options. */
export interface ResolvedEtcdClientOptions {
  readonly endpoints: readonly string[];
  readonly tls: boolean;
  readonly auth: { readonly username: string; readonly password: string } | undefined;
  readonly tlsFiles: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
  readonly tlsReloadIntervalMs: number;
  readonly callTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly keepaliveTimeMs: number;
  readonly keepaliveTimeoutMs: number;
  readonly verify: boolean;
  readonly flowControlWindowBytes: number | undefined;
}

const endpoint = z
  .string()
  .trim()
  .regex(/^(https?:\/\/)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, {
    message: 'must be host:port or http(s)://host:port',
  })
  .refine((value) => {
    const port = Number(value.slice(value.lastIndexOf(':') + 1));
    return port > 0 && port < 65536;
  }, 'port must be 1-65535');

const schema = z
  .object({
    endpoints: z.array(endpoint).min(1, 'at least one endpoint is required'),
    username: z.string().min(1).optional(),
    password: z.string().optional(),
    caFile: z.string().min(1).optional(),
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    tlsReloadIntervalMs: z.number().int().positive().default(10_000),
    callTimeoutMs: z.number().int().positive().default(5000),
    connectTimeoutMs: z.number().int().positive().default(3000),
    keepaliveTimeMs: z.number().int().min(5000).default(10_000),
    keepaliveTimeoutMs: z.number().int().positive().default(5000),
    verify: z.boolean().default(true),
    flowControlWindowBytes: z.number().int().min(65_535).max(1 << 30).optional(),
  })
  .refine((o) => (o.username === undefined) === (o.password === undefined), {
    message: 'username and password must be given together',
  })
  .refine((o) => (o.certFile === undefined) === (o.keyFile === undefined), {
    message: 'certFile and keyFile must be given together',
  })
  .refine((o) => {
    const secure = o.endpoints.filter((e) => e.startsWith('https://')).length;
    return secure === 0 || secure === o.endpoints.length;
  }, 'endpoints cannot mix https:// and plain entries');

function fromEnv(env: NodeJS.ProcessEnv): EtcdClientOptions {
  const list = env['ETCD_ENDPOINTS'];
  return {
    endpoints: list === undefined ? undefined : list.split(',').filter((e) => e.trim() !== ''),
    username: env['ETCD_USERNAME'] || undefined,
    password: env['ETCD_PASSWORD'] ?? undefined,
    passwordFile: env['ETCD_PASSWORD_FILE'] || undefined,
    caFile: env['ETCD_CA_FILE'] || undefined,
    certFile: env['ETCD_CERT_FILE'] || undefined,
    keyFile: env['ETCD_KEY_FILE'] || undefined,
  };
}

/**
 * Merges explicit options over the environment, applies defaults and validates.
 * @throws {EtcdPatternsError} `ETCD_INVALID_CONFIG` naming every bad field.
 */
export function resolveClientOptions(
  options: EtcdClientOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedEtcdClientOptions {
  // A field given as `undefined` (e.g. an absent CLI flag) must not hide the environment.
  const defined = (o: object): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const merged = { ...defined(fromEnv(env)), ...defined(options) };
  merged['endpoints'] ??= ['127.0.0.1:2379'];
  const passwordFile = merged['passwordFile'] as string | undefined;
  delete merged['passwordFile'];
  if (merged['password'] === undefined && passwordFile !== undefined) merged['password'] = readPassword(passwordFile);
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ');
    throw new EtcdPatternsError('ETCD_INVALID_CONFIG', `invalid etcd client options: ${details}`, {
      cause: parsed.error,
    });
  }
  const o = parsed.data;
  const tls = Boolean(o.caFile || o.certFile || o.endpoints.some((e) => e.startsWith('https://')));
  return {
    endpoints: o.endpoints,
    tls,
    auth: o.username === undefined ? undefined : { username: o.username, password: o.password ?? '' },
    tlsFiles: { caFile: o.caFile, certFile: o.certFile, keyFile: o.keyFile },
    tlsReloadIntervalMs: o.tlsReloadIntervalMs,
    callTimeoutMs: o.callTimeoutMs,
    connectTimeoutMs: o.connectTimeoutMs,
    keepaliveTimeMs: o.keepaliveTimeMs,
    keepaliveTimeoutMs: o.keepaliveTimeoutMs,
    verify: o.verify,
    flowControlWindowBytes: o.flowControlWindowBytes,
  };
}

function readPassword(path: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new EtcdPatternsError('ETCD_INVALID_CONFIG', `cannot read the password file ${path} (ETCD_PASSWORD_FILE)`, { cause: error });
  }
}
