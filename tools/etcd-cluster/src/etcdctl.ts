import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { findEtcdctlBinary } from './find-etcd';
import { trackChild } from './process-registry';

/** Result of one etcdctl run. */
export interface EtcdctlResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/** Options of one {@link etcdctl} run. */
export interface EtcdctlRunOptions {
  /** Kill etcdctl after this long and reject (default 30 s). */
  readonly timeoutMs?: number;
}

/**
 * Runs `etcdctl` (API v3) against the given endpoints and resolves with its output; never
 * rejects on a non-zero exit (the code is in the result). It rejects when etcdctl is killed,
 * by a signal or by the timeout, with an error whose `killed` is true on a timeout.
 */
export function etcdctl(
  endpoints: readonly string[],
  args: readonly string[],
  input?: string,
  options: EtcdctlRunOptions = {},
): Promise<EtcdctlResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      findEtcdctlBinary(),
      [`--endpoints=${endpoints.join(',')}`, ...args],
      { env: { ...process.env, ETCDCTL_API: '3' }, timeout: options.timeoutMs ?? 30_000 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error);
        resolve({ stdout, stderr, code: typeof error?.code === 'number' ? error.code : 0 });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/**
 * Starts a long-running etcdctl command (`lock`, `elect`, `watch`) and returns the process;
 * it is killed with the parent if the test forgets to.
 */
export function spawnEtcdctl(endpoints: readonly string[], args: readonly string[]): ChildProcess {
  const child = spawn(findEtcdctlBinary(), [`--endpoints=${endpoints.join(',')}`, ...args], {
    env: { ...process.env, ETCDCTL_API: '3' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  trackChild(child);
  return child;
}
