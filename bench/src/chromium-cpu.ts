// CPU time of the Chromium processes on this machine, by process type, from /proc (Linux).
// The console bench runs one browser, so every process whose command line names chromium is its.
import { readdirSync, readFileSync } from 'node:fs';

/** Chromium's CPU so far, and when it was read. */
export interface CpuReading {
  /** CPU milliseconds (user + system) per process type (`renderer`, `gpu-process`, `browser`, ...). */
  readonly ms: ReadonlyMap<string, number>;
  /** `performance.now()` at the reading. */
  readonly at: number;
}

/** What Chromium used between a reading and now. */
export interface CpuUse {
  /** CPU milliseconds of `type`, or of all processes without one. */
  ms(type?: string): number;
  /** Wall-clock seconds it was used over. */
  readonly seconds: number;
}

/** Reads Chromium's CPU now (processes that exit before the next reading take theirs along). */
export function readChromiumCpu(): CpuReading {
  const ticksToMs = 1000 / 100; // USER_HZ is 100 on Linux
  const ms = new Map<string, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmdline.includes('chromium')) continue;
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited in between
    }
    // Fields after the command name: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const type = /--type=([a-z-]+)/.exec(cmdline)?.[1] ?? 'browser';
    ms.set(type, (ms.get(type) ?? 0) + (Number(fields[11]) + Number(fields[12])) * ticksToMs);
  }
  return { ms, at: performance.now() };
}

/** Chromium's CPU use since `start`. */
export function cpuSince(start: CpuReading): CpuUse {
  const now = readChromiumCpu();
  const used = new Map([...now.ms].map(([type, ms]) => [type, ms - (start.ms.get(type) ?? 0)]));
  return {
    ms: (type) => (type === undefined ? [...used.values()].reduce((a, b) => a + b, 0) : (used.get(type) ?? 0)),
    seconds: (now.at - start.at) / 1000,
  };
}
