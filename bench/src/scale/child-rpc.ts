// A worker process for the scale suites, driven by one JSON line per request on its stdin and
// answering one JSON line per request on its stdout. The discovery, lb-resolver and watch
// suites run registrars, watchers and servers in these so that what they cost (CPU, heap) is
// their own, not the runner's. A worker exits when its stdin closes, so a runner that dies
// leaves no children behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
}

/** Milliseconds on a clock shared by every process of the machine (epoch, sub-ms resolution). */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * A full garbage collection, for heap figures that count only what is retained. Uses the
 * process's `gc` when started with `--expose-gc`, else enables it at run time.
 */
export function fullGc(): void {
  const global = globalThis as { gc?: () => void; flushOff?: boolean };
  if (!global.flushOff) {
    // V8 drops the bytecode of functions idle over a few GCs: the heap would shrink between two
    // readings for reasons unrelated to what is measured.
    setFlagsFromString('--no-flush-bytecode');
    global.flushOff = true;
  }
  if (!global.gc) {
    setFlagsFromString('--expose-gc');
    global.gc = runInNewContext('gc') as () => void;
  }
  global.gc!();
  global.gc!();
}

/** Heap bytes retained after a full GC: JS heap plus ArrayBuffers (Buffers live outside the heap). */
export function retainedBytes(): number {
  fullGc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** The parent's handle on one worker process. */
export class ChildWorker {
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly exited: Promise<unknown>;

  private constructor(private readonly child: ChildProcess) {
    this.exited = once(child, 'exit');
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let reply: Reply;
      try {
        reply = JSON.parse(line) as Reply;
      } catch {
        process.stderr.write(`worker: ${line}\n`);
        return;
      }
      const w = this.waiting.get(reply.id);
      if (!w) return;
      this.waiting.delete(reply.id);
      if (reply.ok) w.resolve(reply.result);
      else w.reject(new Error(reply.error));
    });
    void this.exited.then(() => {
      for (const w of this.waiting.values()) w.reject(new Error(`worker ${child.pid} exited`));
      this.waiting.clear();
    });
  }

  /**
   * Starts `script` (a TypeScript file) with tsx and `--expose-gc`; resolves once it is
   * listening. With `SCALE_CPU_PROF=DIR` in the environment each worker writes a CPU profile
   * (`node --cpu-prof`) into DIR when it exits.
   */
  static async start(script: string, env: Record<string, string>): Promise<ChildWorker> {
    const profDir = process.env['SCALE_CPU_PROF'];
    const prof = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
    const child = spawn(process.execPath, ['--expose-gc', ...prof, '--import', 'tsx', script], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const worker = new ChildWorker(child);
    await worker.call('ping');
    return worker;
  }

  /** Sends one request; resolves with the worker's answer. */
  call<T = unknown>(op: string, args: object = {}): Promise<T> {
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.stdin!.write(`${JSON.stringify({ id, op, args })}\n`);
    });
  }

  /** Asks the worker to clean up and exit; kills it (by pid) if it has not within `timeoutMs`. */
  async close(timeoutMs = 10_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * Starts `count` workers of `script`, two at a time: a dozen tsx start-ups at once on a loaded
 * machine starve the ones already connecting to etcd.
 */
export async function startWorkers(count: number, script: string, env: Record<string, string>): Promise<ChildWorker[]> {
  const workers: ChildWorker[] = [];
  try {
    for (let i = 0; i < count; i += 2) {
      workers.push(...(await Promise.all(Array.from({ length: Math.min(2, count - i) }, () => ChildWorker.start(script, env)))));
    }
  } catch (error) {
    await closeWorkers(workers);
    throw error;
  }
  return workers;
}

/** Closes workers, all of them even if one fails. */
export async function closeWorkers(workers: readonly ChildWorker[]): Promise<void> {
  await Promise.allSettled(workers.map((w) => w.close()));
}

/**
 * The worker side: answers requests with `handlers` until stdin closes, then runs `cleanup`
 * and exits. Requests are handled concurrently; answers carry the request's id.
 */
export function serveRequests(
  handlers: Record<string, (args: Record<string, unknown>) => unknown>,
  cleanup: () => Promise<void>,
): void {
  const answer = (reply: Reply): void => void process.stdout.write(`${JSON.stringify(reply)}\n`);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const { id, op, args } = JSON.parse(line) as { id: number; op: string; args: Record<string, unknown> };
    const handler = op === 'ping' ? () => 'pong' : handlers[op];
    if (!handler) return answer({ id, ok: false, error: `unknown op ${op}` });
    Promise.resolve()
      .then(() => handler(args))
      .then(
        (result) => answer({ id, ok: true, result: result ?? null }),
        (error: unknown) => answer({ id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
      );
  });
  lines.on('close', () => {
    cleanup().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`worker cleanup: ${String(error)}\n`);
        process.exit(1);
      },
    );
  });
}
