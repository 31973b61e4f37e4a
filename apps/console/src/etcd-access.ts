import { createEtcdClient, isEtcdPatternsError, type Etcd3 } from '@etcd-patterns/etcd';
import { ClusterOps } from '@etcd-patterns/ops';
import { consoleEtcdError } from './api-error';

/** A connection to etcd as one user: a client, and cluster operations over it. */
export interface EtcdConnection {
  readonly client: Etcd3;
  readonly ops: ClusterOps;
}

/** Options of {@link EtcdAccess}. */
export interface EtcdAccessOptions {
  readonly endpoints: readonly string[];
}

/**
 * The console's ways into etcd: one client without credentials (used to tell whether etcd auth
 * is on, and, while it is off, shared by every session), and {@link connectAs} for a client
 * with a user's credentials. The credentials live only inside the clients made with them (etcd3
 * and the per-member clients of `ClusterOps` need them to renew their tokens); nothing else
 * keeps or logs them.
 */
export class EtcdAccess {
  private closed = false;

  private constructor(
    private readonly options: EtcdAccessOptions,
    /** The credential-less client. */
    readonly anonymous: EtcdConnection,
  ) {}

  /** Makes the credential-less client (without waiting for etcd: it may be down at start). */
  static async open(options: EtcdAccessOptions): Promise<EtcdAccess> {
    const client = await createEtcdClient({ endpoints: options.endpoints, verify: false });
    return new EtcdAccess(options, { client, ops: ClusterOps.fromClient(client, { endpoints: options.endpoints }) });
  }

  /**
   * Whether etcd auth is enabled, by asking etcd for nothing (a count of the empty range)
   * without credentials: etcd refuses it ("user name is empty") exactly when auth is on.
   * etcd 3.4 has no AuthStatus call.
   * @throws {EtcdPatternsError} `ETCD_UNAVAILABLE` and the like when etcd does not answer.
   */
  async authEnabled(): Promise<boolean> {
    try {
      await this.anonymous.client.kv.range({ key: Buffer.from([0]), count_only: true, serializable: true }, { deadline: Date.now() + 3000 });
      return false;
    } catch (error) {
      const e = consoleEtcdError(error, 'checking whether etcd auth is on');
      // Auth off never refuses a read. Under --client-cert-auth, etcd takes the console's
      // certificate (which names no user) as an identity and answers PERMISSION_DENIED instead
      // of "user name is empty": auth is on either way.
      if (isEtcdPatternsError(e, 'ETCD_AUTH_FAILED') || isEtcdPatternsError(e, 'ETCD_PERMISSION_DENIED')) return true;
      throw e;
    }
  }

  /**
   * A client that acts as `username` (etcd checks the password before it is returned).
   * @throws {EtcdPatternsError} `ETCD_AUTH_FAILED` for a wrong user name or password,
   *   `ETCD_UNAVAILABLE` when etcd does not answer.
   */
  async connectAs(username: string, password: string): Promise<EtcdConnection> {
    const client = await createEtcdClient({ endpoints: this.options.endpoints, username, password, connectTimeoutMs: 5000 });
    return { client, ops: ClusterOps.fromClient(client, { endpoints: this.options.endpoints, username, password }) };
  }

  /** Closes the credential-less client. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.anonymous.ops.close();
    this.anonymous.client.close();
  }
}

/** Closes a user's connection (its per-member clients too). Never throws. */
export async function closeConnection(connection: EtcdConnection): Promise<void> {
  await connection.ops.close().catch(() => undefined);
  try {
    connection.client.close();
  } catch {
    // already closed
  }
}
