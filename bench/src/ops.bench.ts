// Snapshot benchmarks: `saveSnapshot` of @etcd-patterns/ops against `etcdctl snapshot save` of
// the same 1-member cluster, in the same run.
//
// - Keyspace: `BENCH_OPS_MB` MiB of 1 KiB random values (default 100 × BENCH_SCALE, at least
//   8), written as concurrent transactions of 128 puts (etcd's default --max-txn-ops). The
//   metric text names the size used and the database's size on disk.
// - Throughput: rounds of one run of each variant, the order rotated each round (so no variant
//   always comes first after another one's writes or page-cache effects), after a warm-up round.
//   `etcdctl snapshot save` is a process timed from spawn to exit. Ours is timed twice: inside
//   this process (a library call in a running service: no start-up) and as a child process
//   (`node --import tsx`, a backup job: Node, tsx and module loading counted, as etcdctl's Go
//   start-up is), each with verify 'digest' and 'full'. Figures are MB/s (10^6 bytes of
//   snapshot file per second), median and best of the rounds.
// - Peak memory: peak RSS of the child processes (ours and etcdctl), read by GNU time (`%M`)
//   when /usr/bin/time exists, else ours by its own `process.resourceUsage().maxRSS` (and
//   etcdctl's is then not reported), at a quarter of the keyspace and at the full keyspace: a
//   streamed snapshot's memory must not grow with its size.
import { createEtcdClient } from '@etcd-patterns/etcd';
import { EtcdCluster, findEtcdctlBinary } from '@etcd-patterns/etcd-cluster';
import { saveSnapshot } from '@etcd-patterns/ops';
import type { Etcd3 } from 'etcd3';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nowMs, percentile, type Benchmark, type BenchRow } from './bench-kit';

const VALUE_BYTES = 1024;
// etcd's default --max-txn-ops; 128 KiB a request, well under its 1.5 MiB request limit.
const PUTS_PER_TXN = 128;
const TXNS_IN_FLIGHT = 8;
const ROUNDS = 5;
const REPO_ROOT = join(__dirname, '..', '..');
const CHILD_SCRIPT = join(__dirname, 'ops-snapshot-child.ts');
const GNU_TIME = '/usr/bin/time';

type Variant = 'etcdctl' | 'digest in-process' | 'full in-process' | 'digest child' | 'full child';
const VARIANTS: readonly Variant[] = ['etcdctl', 'digest in-process', 'full in-process', 'digest child', 'full child'];

interface Run {
  readonly ms: number;
  readonly bytes: number;
  /** Peak RSS of the child process (kB), when known. */
  readonly maxRssKb?: number;
  /** Our child's peak RSS before the snapshot started (kB). */
  readonly startMaxRssKb?: number;
}

/** True when /usr/bin/time is GNU time (it understands `-f %M -o FILE`). */
function hasGnuTime(): boolean {
  if (!existsSync(GNU_TIME)) return false;
  const probe = spawnSync(GNU_TIME, ['-f', '%M', 'true'], { encoding: 'utf8' });
  return probe.status === 0 && /^\d+\s*$/.test(probe.stderr);
}

/** Writes `keys` keys from `from` on, 1 KiB random values, as concurrent 128-put transactions. */
async function fill(client: Etcd3, from: number, to: number): Promise<void> {
  let next = from;
  const worker = async (): Promise<void> => {
    while (next < to) {
      const first = next;
      const last = Math.min(to, first + PUTS_PER_TXN);
      next = last;
      const values = randomBytes((last - first) * VALUE_BYTES);
      const success = Array.from({ length: last - first }, (_, i) => ({
        request_put: {
          key: Buffer.from(`/bench/ops/${String(first + i).padStart(8, '0')}`),
          value: values.subarray(i * VALUE_BYTES, (i + 1) * VALUE_BYTES),
        },
      }));
      await client.kv.txn({ success });
    }
  };
  await Promise.all(Array.from({ length: TXNS_IN_FLIGHT }, worker));
}

class SnapshotRunner {
  private seq = 0;

  constructor(
    private readonly endpoint: string,
    private readonly client: Etcd3,
    private readonly dir: string,
    private readonly gnuTime: boolean,
  ) {}

  async run(variant: Variant): Promise<Run> {
    const file = join(this.dir, `snap-${this.seq++}.db`);
    try {
      if (variant === 'etcdctl') return await this.spawned([findEtcdctlBinary(), `--endpoints=${this.endpoint}`, 'snapshot', 'save', file], file);
      const verify = variant.startsWith('full') ? 'full' : 'digest';
      if (variant.endsWith('child')) return await this.spawned([process.execPath, '--import', 'tsx', CHILD_SCRIPT, this.endpoint, file, verify], file);
      const start = nowMs();
      const saved = await saveSnapshot(this.client, file, { verify });
      return { ms: nowMs() - start, bytes: saved.bytes };
    } finally {
      rmSync(file, { force: true });
    }
  }

  /** Runs a command (under GNU time when present) and times it from spawn to exit. */
  private spawned(command: readonly string[], file: string): Promise<Run> {
    const rssFile = `${file}.rss`;
    const argv = this.gnuTime ? [GNU_TIME, '-f', '%M', '-o', rssFile, ...command] : command;
    return new Promise((resolve, reject) => {
      const start = nowMs();
      const child = spawn(argv[0]!, argv.slice(1), {
        cwd: REPO_ROOT,
        env: { ...process.env, ETCDCTL_API: '3', TSX_TSCONFIG_PATH: join(REPO_ROOT, 'tsconfig.base.json') },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.once('error', reject);
      child.once('close', (code) => {
        const ms = nowMs() - start;
        if (code !== 0) return reject(new Error(`${command.slice(0, 3).join(' ')} ... exited with ${code}: ${stderr.slice(-2000)}`));
        try {
          const report = stdout.trim().startsWith('{') ? (JSON.parse(stdout.trim().split('\n').pop()!) as { startMaxRssKb: number; maxRssKb: number }) : undefined;
          const timed = this.gnuTime ? Number(readFileSync(rssFile, 'utf8').trim()) : report?.maxRssKb;
          resolve({
            ms,
            bytes: statSync(file).size,
            ...(timed !== undefined ? { maxRssKb: timed } : {}),
            ...(report ? { startMaxRssKb: report.startMaxRssKb } : {}),
          });
        } catch (error) {
          reject(error);
        } finally {
          rmSync(rssFile, { force: true });
        }
      });
    });
  }
}

const mbPerS = (r: Run): number => r.bytes / 1e6 / (r.ms / 1000);
const median = (values: readonly number[]): number => percentile(values, 50);
const mib = (kb: number): number => kb / 1024;

function rssOf(runs: readonly Run[]): { peak: number; aboveStart?: number } {
  const peak = median(runs.map((r) => mib(r.maxRssKb ?? Number.NaN)));
  const starts = runs.filter((r) => r.startMaxRssKb !== undefined);
  if (starts.length === 0) return { peak };
  return { peak, aboveStart: median(starts.map((r) => mib(r.maxRssKb! - r.startMaxRssKb!))) };
}

const bench: Benchmark = {
  name: 'ops',
  async run(ctx) {
    const fullMiB = Number(process.env['BENCH_OPS_MB'] ?? Math.max(8, Math.round(100 * ctx.scale)));
    const smallMiB = Math.max(2, Math.round(fullMiB / 4));
    const keysFor = (m: number): number => Math.round((m * 1024 * 1024) / VALUE_BYTES);
    const gnuTime = hasGnuTime();
    const cluster = await EtcdCluster.start({ size: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'bench-ops-'));
    const endpoint = cluster.endpoints[0]!;
    const client = await createEtcdClient({ endpoints: [endpoint] });
    try {
      const runner = new SnapshotRunner(endpoint, client, dir, gnuTime);
      const log = (text: string): boolean => process.stderr.write(`bench: ops: ${text}\n`);

      // A quarter of the keyspace: peak RSS only.
      let fillStart = nowMs();
      await fill(client, 0, keysFor(smallMiB));
      log(`wrote ${smallMiB} MiB in ${Math.round(nowMs() - fillStart)} ms`);
      const small: Record<Variant, Run[]> = { etcdctl: [], 'digest in-process': [], 'full in-process': [], 'digest child': [], 'full child': [] };
      for (let r = 0; r < 3; r++) for (const v of ['etcdctl', 'digest child', 'full child'] as const) small[v].push(await runner.run(v));
      const smallDb = small['digest child'][0]!.bytes;

      // The full keyspace: throughput and peak RSS.
      fillStart = nowMs();
      await fill(client, keysFor(smallMiB), keysFor(fullMiB));
      const fillMs = nowMs() - fillStart;
      log(`wrote ${fullMiB - smallMiB} MiB more in ${Math.round(fillMs)} ms (${((keysFor(fullMiB) - keysFor(smallMiB)) * VALUE_BYTES / 1e6 / (fillMs / 1000)).toFixed(1)} MB/s)`);
      for (const v of VARIANTS) await runner.run(v); // warm-up: page cache, JIT, tsx's cache
      const large: Record<Variant, Run[]> = { etcdctl: [], 'digest in-process': [], 'full in-process': [], 'digest child': [], 'full child': [] };
      for (let r = 0; r < ROUNDS; r++) {
        for (let i = 0; i < VARIANTS.length; i++) {
          const v = VARIANTS[(i + r) % VARIANTS.length]!;
          const run = await runner.run(v);
          large[v].push(run);
          log(`round ${r + 1}: ${v} ${run.ms.toFixed(0)} ms, ${mbPerS(run).toFixed(1)} MB/s${run.maxRssKb ? `, peak RSS ${mib(run.maxRssKb).toFixed(0)} MiB` : ''}`);
        }
      }
      const largeDb = large.etcdctl[0]!.bytes;
      const size = `${fullMiB} MiB keyspace (${keysFor(fullMiB)} keys x 1 KiB, db ${(largeDb / 1e6).toFixed(0)} MB)${fullMiB === 100 ? '' : `; 100 MiB at BENCH_SCALE=1`}`;
      const speed = (v: Variant): Record<string, number> => ({ median: median(large[v].map(mbPerS)), best: Math.max(...large[v].map(mbPerS)) });
      const reference = speed('etcdctl');
      const rows: BenchRow[] = (['digest in-process', 'full in-process', 'digest child', 'full child'] as const).map((v) => ({
        bench: 'ops',
        metric: `saveSnapshot verify '${v.split(' ')[0]}', ${v.endsWith('child') ? 'child process (node --import tsx), spawn to exit' : 'in-process call'}, ${ROUNDS} rounds, ${size}`,
        unit: 'MB/s',
        ours: speed(v),
        reference,
        referenceName: 'etcdctl snapshot save, spawn to exit',
        target: '>= 0.9x',
      }));
      const how = gnuTime ? 'GNU time %M' : 'process.resourceUsage().maxRSS';
      for (const verify of ['digest', 'full'] as const) {
        rows.push({
          bench: 'ops',
          metric: `saveSnapshot child peak RSS, verify '${verify}', ${fullMiB} MiB keyspace (db ${(largeDb / 1e6).toFixed(0)} MB) vs ${smallMiB} MiB (db ${(smallDb / 1e6).toFixed(0)} MB); ${how}; aboveStart = peak minus peak once connected`,
          unit: 'MiB',
          ours: rssOf(large[`${verify} child`]),
          reference: rssOf(small[`${verify} child`]),
          referenceName: `same at ${smallMiB} MiB`,
          target: '~1x (bounded, not growing with size)',
        });
      }
      if (gnuTime) {
        rows.push({
          bench: 'ops',
          metric: `peak RSS, saveSnapshot verify 'digest' child vs etcdctl snapshot save, ${fullMiB} MiB keyspace; GNU time %M`,
          unit: 'MiB',
          ours: { peak: rssOf(large['digest child']).peak },
          reference: { peak: rssOf(large.etcdctl).peak, [`peak at ${smallMiB} MiB`]: rssOf(small.etcdctl).peak },
          referenceName: 'etcdctl snapshot save',
          target: 'for reference',
        });
      }
      return rows;
    } finally {
      client.close();
      await cluster.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
