import { noop } from 'cockatiel';
import { Etcd3, type ICallable, type IOptions } from 'etcd3';
import { readTlsFiles, resolveClientOptions, type EtcdClientOptions } from './client-options';
import { EtcdPatternsError, throwIfAborted } from './errors';
import { toEtcdError } from './grpc-errors';
import { installReadRetry } from './internal/read-retry';
import { abortableSleep } from './internal/backoff';
import { memberFaultPolicies } from './internal/member-breaker';
import { installCallTiming } from './internal/timed-calls';

/** Options for {@link createEtcdClient}. */
export interface CreateEtcdClientOptions extends EtcdClientOptions {
  /** Aborts the connection check. */
  readonly signal?: AbortSignal;
}

/**
 * The connection pool behind an etcd3 client. etcd3 keeps it protected; the libraries here
 * need it for raw streams with their own metadata (watch `hasleader`).
 * @internal
 */
export function poolOf(client: Etcd3): ICallable<unknown> {
  return (client as unknown as { pool: ICallable<unknown> }).pool;
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
 * @throws {EtcdPatternsError} `ETCD_INVALID_CONFIG` for malformed options, `ETCD_UNAVAILABLE`
 *   when no member answers in time, `ETCD_AUTH_FAILED` for wrong credentials, `ABORTED`.
 */
export async function createEtcdClient(options: CreateEtcdClientOptions = {}): Promise<Etcd3> {
  throwIfAborted(options.signal);
  const resolved = resolveClientOptions(options);
  const credentials = readTlsFiles(resolved.tlsFiles);
  const members = memberFaultPolicies(resolved.endpoints.length);
  const etcdOptions: IOptions = {
    hosts: [...resolved.endpoints],
    credentials,
    auth: resolved.auth ? { ...resolved.auth } : undefined,
    grpcOptions: {
      'grpc.keepalive_time_ms': resolved.keepaliveTimeMs,
      'grpc.keepalive_timeout_ms': resolved.keepaliveTimeoutMs,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 2000,
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
  installReadRetry(poolOf(client), resolved.endpoints.length + 1);
  installCallTiming(poolOf(client));
  if (!resolved.verify) return client;
  try {
    await verifyConnection(client, resolved.endpoints, resolved.connectTimeoutMs, options.signal);
    return client;
  } catch (error) {
    client.close();
    throw error;
  }
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
