// epctl entry point: `apps/epctl/bin/epctl` runs this file with tsx.
import { createInterface } from 'node:readline/promises';
import { runEpctl } from './program';

const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());

// Questions are asked on a terminal only; scripts (no TTY) get a warning instead.
async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
runEpctl(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stop: stop.signal, ...(interactive ? { confirm } : {}) }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`epctl: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
