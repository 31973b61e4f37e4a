import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { findEtcdctlBinary } from './find-etcd';
import { trackChild } from './process-registry';

/** Result of one etcdctl run. */
export interface EtcdctlResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/**
 * Runs `etcdctl` (API v3) against the given endpoints and resolves with its output; never
 * rejects on a non-zero exit (the code is in the result).
 */
export function etcdctl(endpoints: readonly string[], args: readonly string[], input?: string): Promise<EtcdctlResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      findEtcdctlBinary(),
      [`--endpoints=${endpoints.join(',')}`, ...args],
      { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 30_000 },
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
