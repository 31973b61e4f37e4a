import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EtcdMember, type EtcdMemberRuntime, type EtcdMemberSpec } from './etcd-member';
import { findEtcdBinary } from './find-etcd';
import { freePorts } from './free-port';
import { EtcdMemberStartError } from './member-start-error';
import { TestPki, type CertFiles, type ClientCertOptions } from './test-pki';

/** TLS for a test cluster; see {@link EtcdClusterOptions.tls}. */
export interface EtcdClusterTlsOptions {
  /** `--client-cert-auth`: every client must present a certificate signed by the cluster's CA (default false). */
  readonly clientCertAuth?: boolean;
  /** TLS between members too (`--peer-*` flags, `https://` peer URLs). Default true. */
  readonly peer?: boolean;
  /**
   * SANs of the members' server certificates; default `IP:127.0.0.1, DNS:localhost`. Pass
   * e.g. `['DNS:wrong.invalid']` for a cluster whose name does not match what clients dial.
   */
  readonly serverSubjectAltNames?: readonly string[];
}

/** The TLS material of a running test cluster (files in its temp dir). */
export interface EtcdClusterTls {
  /** The CA the members trust and are signed by (`ETCD_CA_FILE`). */
  readonly caFile: string;
  /** A second CA nothing trusts, for "wrong CA" tests. */
  readonly otherCaFile: string;
  /** Whether members require client certificates. */
  readonly clientCertAuth: boolean;
  /** A client certificate with CN `root` (used by the harness's probes and {@link EtcdCluster.etcdctlTlsArgs}). */
  readonly rootCert: CertFiles;
  /** The PKI, to issue more certificates. */
  readonly pki: TestPki;
  /**
   * Issues a client certificate with CN `name` (etcd maps it to the user `name` under
   * `--client-cert-auth`); `expired`, or signed by the untrusted CA with `ca: 'other'`.
   */
  clientCert(name: string, options?: ClientCertOptions): Promise<CertFiles>;
}

/** Options for {@link EtcdCluster.start}. */
export interface EtcdClusterOptions {
  /** Number of members: 1 or 3 (default 3). */
  readonly size?: 1 | 3 | 5;
  /** Path to `etcd`; default `ETCD_BIN` or the first `etcd` on `PATH`. */
  readonly etcdBin?: string;
  /** Extra flags for every member, e.g. `['--auto-compaction-retention=1']`. */
  readonly extraArgs?: readonly string[];
  /**
   * Keep data and logs after `close()` (default: only when `ETCD_KEEP_DATA=1`). They are always
   * kept when start-up fails.
   */
  readonly keepData?: boolean;
  /**
   * Start members with `--pre-vote` (default true), as production clusters should run: a member
   * that was cut off or frozen cannot force an election when it comes back. etcd 3.4 and 3.5
   * default to false, 3.6 to true.
   */
  readonly preVote?: boolean;
  /**
   * Serve clients over TLS (`https://` client URLs, `--cert-file`, `--key-file`,
   * `--trusted-ca-file`) with certificates made at start with the `openssl` CLI in the
   * cluster's temp dir; see {@link EtcdCluster.tls}. Plain HTTP when left out.
   */
  readonly tls?: EtcdClusterTlsOptions;
}

// Start-up attempts when a member finds a port taken (the OS hands out free ports, but another
// process, or an outgoing connection, may take one before etcd binds it).
const START_ATTEMPTS = 3;

/**
 * A real etcd cluster on loopback ports chosen by the OS, with temporary data directories.
 * Every process is also killed by pid when the parent process exits, so a failing test
 * cannot leak members.
 *
 * @example
 * const cluster = await EtcdCluster.start({ size: 3 });
 * try { ... cluster.endpoints ... await cluster.leader() } finally { await cluster.close(); }
 */
export class EtcdCluster {
  private closed = false;

  private readonly list: EtcdMember[];

  private constructor(
    members: readonly EtcdMember[],
    /** Root of the data directories and logs. */
    readonly baseDir: string,
    readonly keepData: boolean,
    private readonly runtime: EtcdMemberRuntime,
    private readonly tlsState: (EtcdClusterTls & { readonly peer: boolean; readonly sans?: readonly string[] }) | undefined,
  ) {
    this.list = [...members];
  }

  /** The cluster's TLS material, or undefined for a plain-HTTP cluster. */
  get tls(): EtcdClusterTls | undefined {
    return this.tlsState;
  }

  /**
   * etcdctl flags for this cluster's TLS (`--cacert`, and `--cert`/`--key`: the `root` client
   * certificate unless `cert` is given); empty for a plain cluster. Use with {@link clientUrls}.
   */
  etcdctlTlsArgs(cert?: CertFiles): string[] {
    const tls = this.tlsState;
    if (!tls) return [];
    const c = cert ?? tls.rootCert;
    return ['--cacert', tls.caFile, '--cert', c.certFile, '--key', c.keyFile];
  }

  /** Client URLs of all members with their scheme (`https://127.0.0.1:PORT` with TLS), as etcdctl takes them. */
  get clientUrls(): string[] {
    return this.members.map((m) => m.spec.clientUrl);
  }

  /** The members, in start order (members added with {@link startJoining} last). */
  get members(): readonly EtcdMember[] {
    return this.list;
  }

  /** The founding `--initial-cluster` (`m0=http://...,m1=...`), e.g. for a snapshot restore. */
  get initialCluster(): string {
    return this.runtime.initialCluster;
  }

  /**
   * Picks ports and a data directory for a new member called `name`, without starting it: add
   * it to the cluster first (member add, with `spec.peerUrl`), then {@link startJoining}.
   */
  async newMemberSpec(name: string): Promise<EtcdMemberSpec> {
    if (this.list.some((m) => m.name === name)) throw new Error(`a member is already called ${name}`);
    const [client, peer] = await freePorts(2);
    const tls = this.tlsState;
    return {
      name,
      clientUrl: `${tls ? 'https' : 'http'}://127.0.0.1:${client}`,
      peerUrl: `${tls?.peer ? 'https' : 'http'}://127.0.0.1:${peer}`,
      dataDir: join(this.baseDir, `${name}.etcd`),
      ...(tls ? { tls: await memberCerts(tls.pki, name, tls.peer, tls.sans) } : {}),
    };
  }

  /**
   * Starts a member that was added to the running cluster (`--initial-cluster-state existing`),
   * with the `--initial-cluster` that member add returned, and counts it as a member of this
   * cluster from then on.
   */
  async startJoining(spec: EtcdMemberSpec, initialCluster: string): Promise<EtcdMember> {
    const member = new EtcdMember(spec, { ...this.runtime, initialCluster, initialClusterState: 'existing' });
    this.list.push(member);
    await member.start();
    return member;
  }

  /** Kills a member (SIGKILL) and stops counting it (after it was removed from the cluster). */
  async forget(member: EtcdMember): Promise<void> {
    await member.kill();
    await member.closeLog();
    const index = this.list.indexOf(member);
    if (index >= 0) this.list.splice(index, 1);
  }

  /**
   * Starts the members and resolves once the cluster has a leader and is healthy. When a member
   * cannot bind a port, the cluster is started again on fresh ports (up to 3 times).
   * @throws {EtcdMemberStartError} with the tail of the failing member's log; the logs and data
   *   directories are kept (the error names the folder).
   */
  static async start(options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
    const size = options.size ?? 3;
    const etcdBin = options.etcdBin ?? findEtcdBinary();
    for (let attempt = 1; ; attempt++) {
      const cluster = await EtcdCluster.create(size, etcdBin, options);
      try {
        await Promise.all(cluster.members.map((m) => m.start()));
        await cluster.waitForLeader();
        return cluster;
      } catch (error) {
        const retry = error instanceof EtcdMemberStartError && error.addressInUse && attempt < START_ATTEMPTS;
        await cluster.close({ keepData: !retry || cluster.keepData });
        if (!retry) throw error;
      }
    }
  }

  private static async create(size: number, etcdBin: string, options: EtcdClusterOptions): Promise<EtcdCluster> {
    const baseDir = mkdtempSync(join(tmpdir(), 'etcd-patterns-'));
    const logDir = join(baseDir, 'logs');
    mkdirSync(logDir);
    // Every port of the cluster is picked at once, so none is handed out twice.
    const ports = await freePorts(size * 2);
    const tls = options.tls ? await createTls(join(baseDir, 'pki'), options.tls) : undefined;
    const clientScheme = tls ? 'https' : 'http';
    const peerScheme = tls?.peer ? 'https' : 'http';
    const specs: EtcdMemberSpec[] = [];
    for (let i = 0; i < size; i++) {
      const name = `m${i}`;
      specs.push({
        name,
        clientUrl: `${clientScheme}://127.0.0.1:${ports[2 * i]}`,
        peerUrl: `${peerScheme}://127.0.0.1:${ports[2 * i + 1]}`,
        dataDir: join(baseDir, `${name}.etcd`),
        ...(tls ? { tls: await memberCerts(tls.pki, name, tls.peer, tls.sans) } : {}),
      });
    }
    const runtime: EtcdMemberRuntime = {
      etcdBin,
      logDir,
      initialCluster: specs.map((s) => `${s.name}=${s.peerUrl}`).join(','),
      clusterToken: `etcd-patterns-${process.pid}-${Date.now()}`,
      extraArgs: [...(options.preVote === false ? [] : ['--pre-vote']), ...(options.extraArgs ?? [])],
      ...(tls ? { tls: { caFile: tls.caFile, clientCertAuth: tls.clientCertAuth, probeCert: tls.rootCert } } : {}),
    };
    return new EtcdCluster(
      specs.map((spec) => new EtcdMember(spec, runtime)),
      baseDir,
      options.keepData ?? process.env['ETCD_KEEP_DATA'] === '1',
      runtime,
      tls,
    );
  }

  /** Client endpoints of all members, as `127.0.0.1:PORT`. */
  get endpoints(): string[] {
    return this.members.map((m) => m.endpoint);
  }

  /** Member by index. */
  member(index: number): EtcdMember {
    const member = this.members[index];
    if (!member) throw new RangeError(`no member ${index} in a cluster of ${this.members.length}`);
    return member;
  }

  /** The current leader as seen by a running member, or undefined while there is none. */
  async leader(): Promise<EtcdMember | undefined> {
    const statuses = await Promise.all(this.members.map(async (m) => ({ m, s: await m.status() })));
    const leaderId = statuses.find(({ s }) => s && s.leaderId !== '0')?.s?.leaderId;
    return statuses.find(({ s }) => s?.memberId === leaderId)?.m;
  }

  /** Waits until a running member reports a leader; resolves to it. */
  async waitForLeader(timeoutMs = 20_000): Promise<EtcdMember> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const leader = await this.leader();
      if (leader) return leader;
      await sleep(50);
    }
    const tails = this.members.map((m) => `--- ${m.name}${m.running ? '' : ' (not running)'}\n${m.logTail(10)}`).join('\n');
    throw new EtcdMemberStartError('cluster', 'no-leader', tails, join(this.baseDir, 'logs'), `no etcd leader within ${timeoutMs} ms`);
  }

  /** A member that is not the leader (for fault tests), or undefined in a 1-member cluster. */
  async follower(): Promise<EtcdMember | undefined> {
    const leader = await this.waitForLeader();
    return this.members.find((m) => m !== leader && m.running);
  }

  /**
   * Kills every member (SIGKILL) and removes the data, unless asked to keep it (`keepData` here
   * or at start, or `ETCD_KEEP_DATA=1`). Idempotent.
   */
  async close(options: { keepData?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.members.map((m) => m.kill()));
    await Promise.all(this.members.map((m) => m.closeLog()));
    if (!(options.keepData ?? this.keepData)) rmSync(this.baseDir, { recursive: true, force: true });
  }

  /** Same as {@link close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

async function createTls(
  dir: string,
  options: EtcdClusterTlsOptions,
): Promise<EtcdClusterTls & { readonly peer: boolean; readonly sans?: readonly string[] }> {
  const pki = await TestPki.create(dir);
  const rootCert = await pki.clientCert('root');
  return {
    caFile: pki.caFile,
    otherCaFile: pki.otherCaFile,
    clientCertAuth: options.clientCertAuth ?? false,
    rootCert,
    pki,
    clientCert: (name, o) => pki.clientCert(name, o),
    peer: options.peer ?? true,
    sans: options.serverSubjectAltNames,
  };
}

async function memberCerts(
  pki: TestPki,
  name: string,
  peer: boolean,
  sans: readonly string[] | undefined,
): Promise<NonNullable<EtcdMemberSpec['tls']>> {
  const server = await pki.serverCert(name, sans ? { subjectAltNames: sans } : {});
  return peer ? { server, peer: await pki.peerCert(name) } : { server };
}
