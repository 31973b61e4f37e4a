import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

/** The reference apps (and the ops console). */
export type AppName = 'gateway' | 'greeter' | 'worker' | 'backup' | 'console';

/** Repository root (this file is `tools/demo/src/app-process.ts`). */
export const REPO_ROOT = resolve(__dirname, '../../..');

/** Options of {@link AppProcess.start}. */
export interface StartAppOptions {
  readonly app: AppName;
  /** Environment on top of this process's (`ETCD_ENDPOINTS`, `INSTANCE_NAME`, ...). */
  readonly env: Record<string, string>;
  /** How long to wait for the app's "ready" log line, in ms (default 60000). */
  readonly readyTimeoutMs?: number;
  /** Called with every output line (for a prefixed console in the demo). */
  readonly onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Lines kept for {@link AppProcess.lines} (default 2000). */
  readonly keepLines?: number;
  /**
   * Own process group (default false), so a Ctrl-C in the terminal reaches only the launcher,
   * which then stops the apps in order.
   */
  readonly ownProcessGroup?: boolean;
}

const live = new Set<ChildProcess>();
let hooked = false;

function killAllOnExit(): void {
  for (const child of live) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/**
 * The command line of an app: plain `node` with tsx as a loader (not the tsx wrapper binary,
 * which cannot forward SIGKILL) and the telemetry bootstrap loaded before the app.
 */
export function appCommand(app: AppName): { command: string; args: string[]; env: Record<string, string> } {
  return {
    command: process.execPath,
    args: ['--import', 'tsx', '--import', './libs/telemetry/src/register.ts', join('apps', app, 'src', 'main.ts')],
    // tsx needs the decorator settings, which live in tsconfig.base.json.
    env: { TSX_TSCONFIG_PATH: 'tsconfig.base.json' },
  };
}

/**
 * One app running as a real process (by path, never imported), with its JSON log lines
 * parsed. Every process started here is killed by pid when this process exits.
 */
export class AppProcess {
  private readonly kept: string[] = [];
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly waiters = new Set<{ test: (entry: Record<string, unknown>) => boolean; resolve: (entry: Record<string, unknown>) => void }>();

  private constructor(
    readonly app: AppName,
    readonly child: ChildProcess,
    readonly instance: string,
    private readonly options: StartAppOptions,
  ) {
    this.exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
    for (const [stream, name] of [[child.stdout, 'stdout'], [child.stderr, 'stderr']] as const) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => this.onLine(line, name));
    }
  }

  /**
   * Starts the app and resolves once it logged its ready line (`greeter ready`, ...), which
   * each app writes after it is listening (and, for gRPC apps, registered in etcd).
   * @throws {Error} when the process exits or is not ready in time (with its last output).
   */
  static async start(options: StartAppOptions): Promise<AppProcess> {
    const { command, args, env } = appCommand(options.app);
    const instance = options.env['INSTANCE_NAME'] ?? `${options.app}-${Math.random().toString(36).slice(2, 8)}`;
    const child = spawn(command, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env, LOG_LEVEL: 'info', ...options.env, INSTANCE_NAME: instance },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: options.ownProcessGroup ?? false,
    });
    if (!hooked) {
      hooked = true;
      process.once('exit', killAllOnExit);
    }
    live.add(child);
    child.once('exit', () => live.delete(child));
    const proc = new AppProcess(options.app, child, instance, options);
    const timeoutMs = options.readyTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        proc.waitForLog((e) => e['msg'] === `${options.app} ready`),
        proc.exited.then(({ code, signal }) => {
          throw new Error(`${options.app} ${instance} exited (code ${code}, signal ${signal}) before it was ready:\n${proc.lines.slice(-20).join('\n')}`);
        }),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${options.app} ${instance} not ready within ${timeoutMs} ms:\n${proc.lines.slice(-20).join('\n')}`)), timeoutMs);
        }),
      ]);
    } catch (error) {
      await proc.kill();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return proc;
  }

  /** Process id. */
  get pid(): number {
    return this.child.pid!;
  }

  /** True until the process exited. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last output lines. */
  get lines(): readonly string[] {
    return this.kept;
  }

  /** Parsed JSON log lines so far. */
  get logs(): Array<Record<string, unknown>> {
    return this.kept.flatMap((line) => {
      try {
        const value: unknown = JSON.parse(line);
        return typeof value === 'object' && value !== null ? [value as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
  }

  /** Resolves with the first log entry (past or future) that passes `test`. */
  waitForLog(test: (entry: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    const past = this.logs.find(test);
    if (past) return Promise.resolve(past);
    return new Promise((resolve) => this.waiters.add({ test, resolve }));
  }

  /** Sends SIGTERM (graceful shutdown) and resolves with how it exited. */
  async stop(timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.running) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL: no shutdown hook runs. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** How the process exited (waits for it). */
  waitForExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exited;
  }

  private onLine(line: string, stream: 'stdout' | 'stderr'): void {
    this.kept.push(line);
    if (this.kept.length > (this.options.keepLines ?? 2000)) this.kept.shift();
    this.options.onLine?.(line, stream);
    if (this.waiters.size === 0) return;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    for (const waiter of [...this.waiters]) {
      if (waiter.test(entry)) {
        this.waiters.delete(waiter);
        waiter.resolve(entry);
      }
    }
  }
}
