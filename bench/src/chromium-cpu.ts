// CPU time of the Chromium processes on this machine, by process type, from /proc (Linux).
// The console bench runs one browser, so every process whose command line names chromium is its.
import { readdirSync, readFileSync } from 'node:fs';

/** CPU milliseconds (user + system) per Chromium process type (`renderer`, `gpu-process`, `browser`, ...). */
export function chromiumCpuMs(): Map<string, number> {
  const ticksToMs = 1000 / 100; // USER_HZ is 100 on Linux
  const out = new Map<string, number>();
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
    const ms = (Number(fields[11]) + Number(fields[12])) * ticksToMs;
    const type = /--type=([a-z-]+)/.exec(cmdline)?.[1] ?? 'browser';
    out.set(type, (out.get(type) ?? 0) + ms);
  }
  return out;
}

/** `after - before` per process type, each divided by `per`. */
export function cpuDelta(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>, per: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [type, ms] of after) {
    const delta = (ms - (before.get(type) ?? 0)) / per;
    if (delta > 0) out[type] = Number(delta.toFixed(1));
  }
  return out;
}
