import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpJson, type HttpJsonTls } from './http-json';
import { EtcdMemberStartError } from './member-start-error';
import { trackChild } from './process-registry';
import type { CertFiles } from './test-pki';

/** Static description of one member of a test cluster. */
export interface EtcdMemberSpec {
  /** Member name (`m0`, `m1`, ...). */
  readonly name: string;
  /** Client URL, `http://127.0.0.1:PORT` (`https://` with TLS). */
  readonly clientUrl: string;
  /** Peer URL, `http://127.0.0.1:PORT` (`https://` with peer TLS). */
  readonly peerUrl: string;
  /** Data directory. */
  readonly dataDir: string;
  /** The member's certificates, when the cluster runs TLS. */
  readonly tls?: {
    /** Served to clients (`--cert-file`, `--key-file`). */
    readonly server: CertFiles;
    /** Served to and presented to peers (`--peer-cert-file`, `--peer-key-file`), with peer TLS. */
    readonly peer?: CertFiles;
  };
}

/** TLS settings shared by every member of a cluster. */
export interface EtcdMemberTlsRuntime {
  /** `--trusted-ca-file` (and `--peer-trusted-ca-file`). */
  readonly caFile: string;
  /** `--client-cert-auth`: clients must present a certificate the CA signed. */
  readonly clientCertAuth: boolean;
  /** A client certificate the harness's own probes present (needed with `clientCertAuth`). */
  readonly probeCert?: CertFiles;
}

/** Options shared by every member of a cluster. */
export interface EtcdMemberRuntime {
  readonly etcdBin: string;
  readonly initialCluster: string;
  readonly clusterToken: string;
  readonly logDir: string;
  readonly extraArgs: readonly string[];
  /** `new` for the founding members (default), `existing` for a member joining a running cluster. */
  readonly initialClusterState?: 'new' | 'existing';
  /** Client (and peer) TLS; plain HTTP without it. */
  readonly tls?: EtcdMemberTlsRuntime;
}

const RECENT_OUTPUT_BYTES = 16 * 1024;

/**
 * One real `etcd` process. Fault operations act on the process itself: `kill` is SIGKILL,
 * `pause` is SIGSTOP (the process keeps its sockets open but stops answering), `stop` is
 * SIGTERM, `restart` keeps the data directory.
 */
export class EtcdMember {
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private paused = false;
  // The last bytes etcd printed, for start-up errors (the log file may not be flushed yet).
  private recentOutput = '';

  constructor(
    readonly spec: EtcdMemberSpec,
    private readonly runtime: EtcdMemberRuntime,
  ) {}

  /** Member name. */
  get name(): string {
    return this.spec.name;
  }

  /** Client endpoint as `127.0.0.1:PORT` (the form etcd3 and ETCD_ENDPOINTS take). */
  get endpoint(): string {
    return this.spec.clientUrl.replace(/^https?:\/\//, '');
  }

  /** Pid of the running process, if any. */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  /** Whether the process is alive (it may be paused). */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Whether the process is stopped with SIGSTOP. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Starts the process; resolves once it answers on its client URL (not necessarily healthy). */
  async start(): Promise<void> {
    if (this.running) return;
    const { spec, runtime } = this;
    this.log ??= createWriteStream(join(runtime.logDir, `${spec.name}.log`), { flags: 'a' });
    const args = [
      '--name', spec.name,
      '--data-dir', spec.dataDir,
      '--listen-client-urls', spec.clientUrl,
      '--advertise-client-urls', spec.clientUrl,
      '--listen-peer-urls', spec.peerUrl,
      '--initial-advertise-peer-urls', spec.peerUrl,
      '--initial-cluster', runtime.initialCluster,
      '--initial-cluster-token', runtime.clusterToken,
      '--initial-cluster-state', runtime.initialClusterState ?? 'new',
      '--logger', 'zap',
      '--log-level', 'warn',
      ...this.tlsArgs(),
      ...runtime.extraArgs,
    ];
    const child = spawn(runtime.etcdBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    trackChild(child);
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    const remember = (chunk: Buffer): void => {
      this.recentOutput = (this.recentOutput + chunk.toString('utf8')).slice(-RECENT_OUTPUT_BYTES);
    };
    child.stdout?.on('data', remember);
    child.stderr?.on('data', remember);
    this.child = child;
    this.paused = false;
    await this.waitUntilListening(child);
  }

  /** Graceful stop (SIGTERM); resolves when the process has exited. */
  async stop(): Promise<void> {
    await this.signalAndWait('SIGTERM');
  }

  /** Hard kill (SIGKILL); resolves when the process has exited. */
  async kill(): Promise<void> {
    await this.signalAndWait('SIGKILL');
  }

  /** Freezes the process (SIGSTOP): sockets stay open, nothing answers. */
  pause(): void {
    if (!this.running || this.paused) return;
    process.kill(this.child!.pid!, 'SIGSTOP');
    this.paused = true;
  }

  /** Thaws a paused process (SIGCONT). */
  resume(): void {
    if (!this.running || !this.paused) return;
    process.kill(this.child!.pid!, 'SIGCONT');
    this.paused = false;
  }

  /** Stops (SIGTERM) and starts again on the same ports and data directory. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Member status from etcd's gRPC gateway; undefined when the member does not answer. */
  async status(timeoutMs = 500): Promise<{ memberId: string; leaderId: string } | undefined> {
    if (!this.running || this.paused) return undefined;
    try {
      const body = (await httpJson(`${this.spec.clientUrl}/v3/maintenance/status`, {}, timeoutMs, this.probeTls())) as {
        header?: { member_id?: string };
        leader?: string;
      };
      if (!body.header?.member_id) return undefined;
      return { memberId: body.header.member_id, leaderId: body.leader ?? '0' };
    } catch {
      return undefined;
    }
  }

  private tlsArgs(): string[] {
    const tls = this.runtime.tls;
    const certs = this.spec.tls;
    if (!tls || !certs) return [];
    const args = ['--cert-file', certs.server.certFile, '--key-file', certs.server.keyFile, '--trusted-ca-file', tls.caFile];
    if (tls.clientCertAuth) args.push('--client-cert-auth');
    if (certs.peer) {
      args.push(
        '--peer-cert-file', certs.peer.certFile,
        '--peer-key-file', certs.peer.keyFile,
        '--peer-trusted-ca-file', tls.caFile,
        '--peer-client-cert-auth',
      );
    }
    return args;
  }

  // Read once per probe: tests may rotate files under the harness's feet.
  private probeTls(): HttpJsonTls | undefined {
    const tls = this.runtime.tls;
    if (!tls) return undefined;
    const probe = tls.probeCert;
    return { ca: readFileSync(tls.caFile), cert: probe && readFileSync(probe.certFile), key: probe && readFileSync(probe.keyFile) };
  }

  private async signalAndWait(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (this.paused) process.kill(child.pid!, 'SIGCONT');
    this.paused = false;
    child.kill(signal);
    await exited;
  }

  private async waitUntilListening(child: ChildProcess): Promise<void> {
    // 'close' fires once the process has exited and its output is fully read.
    let closed = false;
    const outputClosed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    void outputClosed.then(() => (closed = true));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (!this.running) {
        await Promise.race([outputClosed, sleep(2000, undefined, { ref: false })]);
        const how = child.signalCode ? `signal ${child.signalCode}` : `code ${child.exitCode}`;
        throw this.startError('exited', `etcd member ${this.name} exited at start (${how}${closed ? '' : ', output may be cut'})`);
      }
      try {
        await httpJson(`${this.spec.clientUrl}/version`, undefined, 500, this.probeTls());
        return;
      } catch {
        await sleep(50);
      }
    }
    throw this.startError('not-listening', `etcd member ${this.name} did not listen on ${this.spec.clientUrl} within 20 s`);
  }

  /** The last lines etcd printed (kept in memory; at most the last 16 KB). */
  logTail(lines = 30): string {
    return this.recentOutput.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** Path of this member's log file. */
  get logFile(): string {
    return join(this.runtime.logDir, `${this.spec.name}.log`);
  }

  private startError(failure: 'exited' | 'not-listening', summary: string): EtcdMemberStartError {
    return new EtcdMemberStartError(this.name, failure, this.logTail(), this.logFile, summary);
  }

  /** Closes the log stream (after the process is gone); resolves once it is flushed. */
  closeLog(): Promise<void> {
    const log = this.log;
    this.log = undefined;
    if (!log) return Promise.resolve();
    return new Promise((resolve) => log.end(() => resolve()));
  }
}
