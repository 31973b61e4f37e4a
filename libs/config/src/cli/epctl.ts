// epctl entry point: `libs/config/bin/epctl` runs this file with tsx.
import { runEpctl } from './program';

const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());

runEpctl(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stop: stop.signal }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`epctl: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
