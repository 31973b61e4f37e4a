import type { DemoView } from '@etcd-patterns/console-contract';
import type { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from './app-process';
import { DemoControlError } from './demo-control';

/** A control request to the etcd process. */
export interface EtcdControlRequest {
  readonly id: number;
  readonly op: 'list' | 'pause' | 'resume' | 'kill' | 'start';
  readonly member?: string;
}

/** Its answer: the members after the action, or why it was refused. */
export type EtcdControlResponse =
  | { readonly id: number; readonly ok: true; readonly members: DemoView['members'] }
  | { readonly id: number; readonly ok: false; readonly status: number; readonly code: string; readonly message: string };

/** The members' states. */
export function memberStates(cluster: EtcdCluster): DemoView['members'] {
  return cluster.members.map((m) => ({ name: m.name, state: !m.running ? 'stopped' : m.isPaused ? 'paused' : 'running' }));
}

/** Runs one control request against the cluster (in the etcd process). Never throws. */
export async function handleEtcdControl(cluster: EtcdCluster, request: EtcdControlRequest): Promise<EtcdControlResponse> {
  const member = request.member === undefined ? undefined : cluster.members.find((m) => m.name === request.member);
  if (request.op !== 'list' && !member) return { id: request.id, ok: false, status: 404, code: 'NOT_FOUND', message: `no etcd member ${request.member}` };
  try {
    switch (request.op) {
      case 'pause':
        if (!member!.running) return { id: request.id, ok: false, status: 409, code: 'CONFLICT', message: `${member!.name} is stopped` };
        member!.pause();
        break;
      case 'resume':
        member!.resume();
        break;
      case 'kill':
        await member!.kill();
        break;
      case 'start':
        await member!.start();
        break;
      case 'list':
        break;
    }
    return { id: request.id, ok: true, members: memberStates(cluster) };
  } catch (error) {
    return { id: request.id, ok: false, status: 500, code: 'DEMO_FAILED', message: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The demo's etcd cluster, run by `demo-etcd-process.ts` in its own process group (so a Ctrl-C in
 * the terminal reaches only the launcher, which stops the apps before etcd), with pause, resume,
 * kill and start of each member over the IPC channel.
 */
export class DemoEtcd {
  private nextId = 1;
  private readonly pending = new Map<number, (response: EtcdControlResponse) => void>();

  private constructor(
    /** The etcd process. */
    readonly child: ChildProcess,
    /** Client endpoints, comma-separated. */
    readonly endpoints: string,
    /** The cluster's PKI directory (`TestPki.open` it), when started with `tls`. */
    readonly pkiDir: string | undefined,
  ) {
    child.on('message', (response: EtcdControlResponse) => {
      this.pending.get(response.id)?.(response);
      this.pending.delete(response.id);
    });
    // A request in flight when the process dies is answered, never left waiting.
    child.once('exit', () => {
      for (const [id, resolve] of this.pending) resolve({ id, ok: false, status: 503, code: 'DEMO_UNAVAILABLE', message: 'the etcd process exited' });
      this.pending.clear();
    });
  }

  /**
   * Starts the cluster and resolves once it has a leader. With `tls`, clients and peers use TLS
   * and clients must present a certificate (`--client-cert-auth`); see {@link pkiDir}.
   * @throws {Error} when the process exits first.
   */
  static async start(size: 1 | 3 | 5 = 3, options: { readonly tls?: boolean } = {}): Promise<DemoEtcd> {
    const child = spawn(process.execPath, ['--import', 'tsx', join('tools', 'demo', 'src', 'demo-etcd-process.ts')], {
      cwd: REPO_ROOT,
      env: { ...process.env, ETCD_CLUSTER_SIZE: String(size), TSX_TSCONFIG_PATH: 'tsconfig.base.json', DEMO_ETCD_TLS: options.tls ? '1' : '0' },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      detached: true,
    });
    process.once('exit', () => {
      if (child.exitCode === null) child.kill('SIGTERM');
    });
    const lines = createInterface({ input: child.stdout! });
    let pkiDir: string | undefined;
    const endpoints = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the etcd cluster did not start (exit code ${code})`)));
      lines.on('line', (line) => {
        if (line.startsWith('pki=')) pkiDir = line.slice('pki='.length);
        const match = /export ETCD_ENDPOINTS=(\S+)/.exec(line);
        if (match) resolve(match[1]!);
      });
    });
    return new DemoEtcd(child, endpoints, pkiDir);
  }

  /**
   * Sends a control request; resolves with the members after it.
   * @throws {DemoControlError} as the etcd process refused it (404 unknown member, 409, 500).
   */
  async control(op: EtcdControlRequest['op'], member?: string): Promise<DemoView['members']> {
    if (this.child.exitCode !== null || !this.child.connected) throw new DemoControlError(503, 'DEMO_UNAVAILABLE', 'the etcd process is gone');
    const id = this.nextId++;
    const response = await new Promise<EtcdControlResponse>((resolve) => {
      this.pending.set(id, resolve);
      this.child.send({ id, op, member } satisfies EtcdControlRequest);
    });
    if (!response.ok) throw new DemoControlError(response.status, response.code, response.message);
    return response.members;
  }

  /** Stops the cluster (SIGTERM; its data is removed) and waits for the process to exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    await exited;
  }

  /** Kills the process group at once, members included (second Ctrl-C). */
  kill(): void {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      this.child.kill('SIGKILL');
    }
  }
}
