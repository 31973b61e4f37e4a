import { createEtcdClient, toEtcdError, type EtcdClientOptions, type Etcd3 } from '@etcd-patterns/etcd';

/**
 * HTTP/2 window of the operations clients: 4 MiB instead of grpc-js's 64 KiB lets a snapshot
 * stream at disk speed (grpc-js does not grow the window as grpc-go does); it bounds what a
 * stream buffers, so a snapshot's memory stays flat whatever its size.
 */
const SNAPSHOT_WINDOW_BYTES = 4 << 20;

/** Options for {@link ClusterOps.connect}. */
export interface ClusterOpsOptions extends EtcdClientOptions {
  /**
   * Deadline of a per-endpoint probe (status, health), in ms. An endpoint that does not answer
   * in time is reported as unreachable; it never fails the whole call. Default 2000.
   */
  readonly probeTimeoutMs?: number;
  /**
   * Deadline of the long maintenance calls, in ms: defragmentation (which blocks the member
   * while it runs), physical compaction and leader moves. Default 120000.
   */
  readonly defragTimeoutMs?: number;
  /** Aborts the connection check. */
  readonly signal?: AbortSignal;
}

/**
 * A connection for cluster operations: one pooled client for cluster-wide calls, plus one client
 * per endpoint, made on first use, for calls that must reach a given member (status,
 * defragment, snapshot, leader moves). Dispose it (`await using`, or {@link close}) to close
 * them all.
 *
 * @example
 * await using ops = await ClusterOps.connect({ endpoints: ['127.0.0.1:2379'] });
 * for (const s of await clusterStatus(ops)) console.log(s.endpoint, s.ok ? s.dbSize : s.error.message);
 */
export class ClusterOps implements AsyncDisposable {
  private readonly perEndpoint = new Map<string, Etcd3>();
  private closed = false;

  private constructor(
    /** The pooled client (any member answers). */
    readonly client: Etcd3,
    /** The endpoints the connection was given, as given. */
    readonly endpoints: readonly string[],
    private readonly options: ClusterOpsOptions,
    /** Probe deadline, see {@link ClusterOpsOptions.probeTimeoutMs}. */
    readonly probeTimeoutMs: number,
    /** Defragmentation deadline, see {@link ClusterOpsOptions.defragTimeoutMs}. */
    readonly defragTimeoutMs: number,
  ) {}

  /**
   * Connects to the cluster. Unlike `createEtcdClient`, it does not insist that a member answers
   * first: operators most need status when the cluster is unwell, so unreachable endpoints are
   * reported by each call instead.
   * @throws {EtcdPatternsError} `ETCD_INVALID_CONFIG` for malformed options.
   */
  static async connect(options: ClusterOpsOptions = {}): Promise<ClusterOps> {
    const client = await createEtcdClient({ flowControlWindowBytes: SNAPSHOT_WINDOW_BYTES, ...options, verify: false });
    const endpoints = options.endpoints ?? (process.env['ETCD_ENDPOINTS'] ?? '127.0.0.1:2379').split(',').map((e) => e.trim()).filter(Boolean);
    return new ClusterOps(client, endpoints, options, options.probeTimeoutMs ?? 2000, options.defragTimeoutMs ?? 120_000);
  }

  /**
   * Wraps an existing client (not closed by {@link close}); per-endpoint clients use `options`
   * for credentials and TLS.
   */
  static fromClient(client: Etcd3, options: ClusterOpsOptions & { readonly endpoints: readonly string[] }): ClusterOps {
    const ops = new ClusterOps(client, options.endpoints, options, options.probeTimeoutMs ?? 2000, options.defragTimeoutMs ?? 120_000);
    ops.ownsClient = false;
    return ops;
  }

  private ownsClient = true;

  /**
   * A client that talks to `endpoint` only (`host:port` or a member's client URL), with the
   * connection's credentials and TLS files. Cached until {@link close}.
   */
  async endpointClient(endpoint: string): Promise<Etcd3> {
    const key = normalizeEndpoint(endpoint);
    let client = this.perEndpoint.get(key);
    if (!client) {
      client = await createEtcdClient({ flowControlWindowBytes: SNAPSHOT_WINDOW_BYTES, ...this.options, endpoints: [endpoint], verify: false, connectTimeoutMs: this.probeTimeoutMs });
      this.perEndpoint.set(key, client);
    }
    return client;
  }

  /** A call deadline `ms` from now, for gRPC call options. */
  deadline(ms = this.probeTimeoutMs): { deadline: number } {
    return { deadline: Date.now() + ms };
  }

  /** Closes every client this connection made. Idempotent. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const c of this.perEndpoint.values()) c.close();
    this.perEndpoint.clear();
    if (this.ownsClient) this.client.close();
    return Promise.resolve();
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** `http://127.0.0.1:2379` and `127.0.0.1:2379` name the same endpoint. */
export function normalizeEndpoint(endpoint: string): string {
  return endpoint.trim().replace(/^https?:\/\//, '').replace(/\/+$/, '');
}

/** Runs `call`, turning whatever it throws into an `EtcdPatternsError` with `context`. */
export async function etcdCall<T>(context: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toEtcdError(error, context);
  }
}
