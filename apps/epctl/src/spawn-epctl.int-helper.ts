// Test helper: runs the real epctl launcher (bin/epctl) as a child process.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** Output of one epctl run. */
export interface EpctlRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Path of the launcher. */
export const EPCTL = join(__dirname, '..', 'bin', 'epctl');

/** Runs `epctl args...` and resolves when it exits (stdin closed unless `input` is given). */
export function runEpctlProcess(args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<EpctlRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(EPCTL, [...args], { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
