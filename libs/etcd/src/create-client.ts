import { noop } from 'cockatiel';
import { Etcd3, type IOptions } from 'etcd3';
import { resolveClientOptions, type EtcdClientOptions } from './client-options';
import { EtcdPatternsError, EtcdTlsError, throwIfAborted } from './errors';
import { toEtcdError } from './grpc-errors';
import { installReadRetry } from './internal/read-retry';
import { abortableSleep } from './internal/backoff';
import { memberFaultPolicies } from './internal/member-breaker';
import { poolOf } from './internal/pool';
import { installCallTiming } from './internal/timed-calls';
import { createReloadingTlsCredentials, type ReloadingTlsCredentials } from './internal/tls-credentials';

/** Options for {@link createEtcdClient}. */
export interface CreateEtcdClientOptions extends EtcdClientOptions {
  /** Aborts the connection check. */
  readonly signal?: AbortSignal;
  /** The environment read for what the options leave out (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Builds an `etcd3` client from options, falling back to the environment (`ETCD_ENDPOINTS`,
 * `ETCD_USERNAME`/`ETCD_PASSWORD`, `ETCD_CA_FILE`/`ETCD_CERT_FILE`/`ETCD_KEY_FILE`).
 *
 * Differences from `new Etcd3()`: every unary call has a deadline (`callTimeoutMs`, default
 * 5 s); gRPC keepalive pings detect dead connections; read-only calls are retried on another
 * member, writes and transactions never are (etcd3 retries them, which can apply a write
 * twice); a member whose call timed out is skipped at once (a frozen member answers
 * nothing, so each call sent there would wait for its whole deadline), and one that fails three
 * calls in a row is skipped for a second. Every unary call is timed into the
 * `etcd_patterns.etcd.request.duration` histogram (a no-op without a MeterProvider). Unless
 * `verify: false`, the cluster is asked for its status before the client is returned, so a
 * wrong endpoint or password fails here, within `connectTimeoutMs` (default 3 s).
 *
 * With TLS files (`caFile`, `certFile`/`keyFile`), the files are re-read every
 * `tlsReloadIntervalMs` and each new connection uses the latest ones: rotate a certificate on
 * disk and the client picks it up at its next reconnect, without a restart.
 *
 * @throws {EtcdPatternsError} `ETCD_INVALID_CONFIG` for malformed options or unreadable TLS
 *   files, `ETCD_UNAVAILABLE` when no member answers in time, `ETCD_AUTH_FAILED` for wrong
 *   credentials, `ETCD_TLS_FAILED` ({@link EtcdTlsError}, at once, not after the connect
 *   deadline) when the server's certificate is not trusted, does not name the endpoint or
 *   expired, when the server rejects the client certificate, or when the client certificate has
 *   expired, `ABORTED`.
 */
export async function createEtcdClient(options: CreateEtcdClientOptions = {}): Promise<Etcd3> {
  throwIfAborted(options.signal);
  const resolved = resolveClientOptions(options, options.env);
  const { caFile, certFile } = resolved.tlsFiles;
  const tls = caFile || certFile ? createReloadingTlsCredentials(resolved.tlsFiles, resolved.tlsReloadIntervalMs) : undefined;
  const members = memberFaultPolicies(resolved.endpoints.length);
  const etcdOptions: IOptions = {
    hosts: [...resolved.endpoints],
    auth: resolved.auth ? { ...resolved.auth } : undefined,
    grpcOptions: {
      'grpc.keepalive_time_ms': resolved.keepaliveTimeMs,
      'grpc.keepalive_timeout_ms': resolved.keepaliveTimeoutMs,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 2000,
      ...(resolved.flowControlWindowBytes ? { 'grpc-node.flow_control_window': resolved.flowControlWindowBytes } : {}),
    },
    defaultCallOptions: (context) =>
      context.isStream ? {} : { deadline: Date.now() + resolved.callTimeoutMs },
    faultHandling: {
      global: noop,
      // See memberFaultPolicies: a member that timed out is skipped at once.
      host: () => members.forMember(),
    },
  };
  const client = new Etcd3(etcdOptions);
  if (tls) installChannelCredentials(client, tls);
  installReadRetry(poolOf(client), resolved.endpoints.length + 1, resolved.endpoints.length);
  installCallTiming(poolOf(client));
  if (!resolved.verify) return client;
  try {
    await verifyConnection(client, resolved.endpoints, resolved.connectTimeoutMs, options.signal);
    return client;
  } catch (error) {
    client.close();
    if (error instanceof EtcdTlsError) {
      // Name the files, so "not trusted by the CA" says which CA.
      const files = [caFile && `CA file ${caFile}`, certFile && `certificate ${certFile}`].filter(Boolean).join(', ');
      const hint = error.reason === 'client-rejected' && !certFile ? '; the cluster requires a client certificate: set ETCD_CERT_FILE and ETCD_KEY_FILE' : '';
      throw new EtcdTlsError(error.reason, `${error.message}${hint}${files ? ` [${files}]` : ''}`, { cause: error.cause });
    }
    throw error;
  }
}

/**
 * etcd3 only builds credentials from buffers (`grpc.credentials.createSsl`), which fixes the
 * certificate for the life of the client. Its pool keeps the credentials on each `Host` and on
 * the token authenticator, and creates gRPC clients from them lazily (again after each reset),
 * so replacing them before the first call is enough to make every connection use reloading
 * credentials. Closing the client stops the reloading.
 */
function installChannelCredentials(client: Etcd3, tls: ReloadingTlsCredentials): void {
  const pool = poolOf(client) as unknown as {
    hosts: Array<{ channelCredentials: unknown }>;
    authenticator: { credentials: unknown };
  };
  for (const host of pool.hosts) host.channelCredentials = tls.channel;
  pool.authenticator.credentials = tls.channel;
  const close = client.close.bind(client);
  client.close = () => {
    close();
    tls.close();
  };
}

async function verifyConnection(
  client: Etcd3,
  endpoints: readonly string[],
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: EtcdPatternsError | undefined;
  while (Date.now() < deadline) {
    throwIfAborted(signal);
    try {
      await client.maintenance.status({ deadline });
      return;
    } catch (error) {
      last = toEtcdError(error);
      if (!last.retryable) throw last;
      await abortableSleep(Math.min(100, Math.max(0, deadline - Date.now())), signal);
    }
  }
  throw new EtcdPatternsError(
    'ETCD_UNAVAILABLE',
    `no etcd member answered within ${timeoutMs} ms (endpoints: ${endpoints.join(', ')})`,
    { cause: last },
  );
}
