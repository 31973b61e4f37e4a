// Snapshot benchmarks: `saveSnapshot` of @etcd-patterns/ops against `etcdctl snapshot save` of
// the same 1-member cluster, in the same run.
//
// - Keyspace: 1 KiB random values written as concurrent transactions of 128 puts (etcd's
//   default --max-txn-ops, 128 KiB a request). 50 MiB by default (x BENCH_SCALE), so that the
//   whole `npm run bench` stays under 5 minutes on the 2-core machine; the full 100 MiB with
//   BENCH_OPS_MB=100 (or BENCH_SCALE=2). The metric text names the size used.
// - Throughput: a warm-up round, then rounds of one run of each variant, the order rotated each
//   round so that no variant always follows the same one. `etcdctl snapshot save` is a process
//   timed from spawn to exit. Ours is timed twice: inside this process (a library call in a
//   running service: no start-up) and as a child process (`node --import tsx`, like a backup
//   job: Node, tsx and module loading counted, as etcdctl's own start-up is), each with verify
//   'digest' and 'full'. For 'full' there is also the like-for-like reference: etcdctl save
//   followed by `etcdctl snapshot status` (its bbolt walk and hash). Figures are MB/s (10^6
//   bytes of snapshot file per second), median and best of the rounds.
// - CPU time per snapshot (a figure the machine's other load disturbs less than wall time):
//   ours measured inside the child around the call (`process.cpuUsage()`), etcdctl's whole
//   process by GNU time (`%U + %S`).
// - Peak memory: peak RSS of the child processes, by GNU time (`%M`) when /usr/bin/time is GNU
//   time, else ours by its own `process.resourceUsage().maxRSS` (etcdctl's is then not
//   reported), at a quarter of the keyspace and at the full keyspace: a streamed snapshot's
//   memory must not grow with its size.
import { EtcdCluster, findEtcdctlBinary } from '@etcd-patterns/etcd-cluster';
import { ClusterOps, saveSnapshot } from '@etcd-patterns/ops';
import type { Etcd3 } from 'etcd3';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nowMs, percentile, type Benchmark, type BenchRow } from './bench-kit';

const VALUE_BYTES = 1024;
const PUTS_PER_TXN = 128;
const TXNS_IN_FLIGHT = 8;
const ROUNDS = 5;
const SMALL_ROUNDS = 3;
const DEFAULT_MIB = 50;
const FULL_MIB = 100;
const REPO_ROOT = join(__dirname, '..', '..');
const CHILD_SCRIPT = join(__dirname, 'ops-snapshot-child.ts');
const GNU_TIME = '/usr/bin/time';

type Variant = 'etcdctl' | 'etcdctl save+status' | 'digest in-process' | 'full in-process' | 'digest child' | 'full child';
const VARIANTS: readonly Variant[] = ['etcdctl', 'etcdctl save+status', 'digest in-process', 'full in-process', 'digest child', 'full child'];

interface Run {
  /** Wall time: spawn to exit for a process, the call for in-process. */
  readonly ms: number;
  /** Size of the snapshot file. */
  readonly bytes: number;
  /** Peak RSS of the process (kB), when known. */
  readonly maxRssKb?: number;
  /** CPU time (user + system, ms): etcdctl's whole process, ours during `saveSnapshot` in the child. */
  readonly cpuMs?: number;
  /** Our child's peak RSS once connected, before the snapshot (kB). */
  readonly startMaxRssKb?: number;
  /** Our child's `saveSnapshot` time (its `tookMs`), to tell start-up from the snapshot itself. */
  readonly tookMs?: number;
}

/** What ops-snapshot-child.ts prints. */
interface ChildReport {
  readonly bytes: number;
  readonly tookMs: number;
  readonly cpuMs: number;
  readonly startMaxRssKb: number;
  readonly maxRssKb: number;
}

const noRuns = (): Record<Variant, Run[]> => Object.fromEntries(VARIANTS.map((v) => [v, []])) as unknown as Record<Variant, Run[]>;
const mbPerS = (r: Run): number => r.bytes / 1e6 / (r.ms / 1000);
const median = (values: readonly number[]): number => percentile(values, 50);
const mib = (kb: number): number => kb / 1024;

/** True when /usr/bin/time is GNU time (it understands `-f FORMAT -o FILE`). */
function hasGnuTime(): boolean {
  if (!existsSync(GNU_TIME)) return false;
  const probe = spawnSync(GNU_TIME, ['-f', '%M %U %S', 'true'], { encoding: 'utf8' });
  return probe.status === 0 && /^\d+ [\d.]+ [\d.]+\s*$/.test(probe.stderr);
}

/** Writes keys [from, to) with 1 KiB random values, as concurrent 128-put transactions. */
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

/** Runs one snapshot of a variant into a fresh file in `dir`, and deletes the file after. */
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
    const etcdctl = findEtcdctlBinary();
    const save = [etcdctl, `--endpoints=${this.endpoint}`, 'snapshot', 'save', file];
    try {
      if (variant === 'etcdctl') return await this.spawned(save, file);
      if (variant === 'etcdctl save+status') {
        const saved = await this.spawned(save, file);
        const status = await this.spawned([etcdctl, 'snapshot', 'status', file, '-w', 'json'], file);
        return {
          ms: saved.ms + status.ms,
          bytes: saved.bytes,
          ...(saved.maxRssKb !== undefined ? { maxRssKb: Math.max(saved.maxRssKb, status.maxRssKb ?? 0) } : {}),
          ...(saved.cpuMs !== undefined ? { cpuMs: saved.cpuMs + (status.cpuMs ?? 0) } : {}),
        };
      }
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
    const timeFile = `${file}.time`;
    const argv = this.gnuTime ? [GNU_TIME, '-f', '%M %U %S', '-o', timeFile, ...command] : command;
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
        try {
          if (code !== 0) throw new Error(`${command.slice(0, 4).join(' ')} ... exited with ${code}: ${stderr.slice(-2000)}`);
          const last = stdout.trim().split('\n').pop() ?? '';
          const report = last.startsWith('{"bytes"') ? (JSON.parse(last) as ChildReport) : undefined;
          const [rssKb, user, system] = this.gnuTime ? readFileSync(timeFile, 'utf8').trim().split(/\s+/).map(Number) : [];
          const maxRssKb = rssKb ?? report?.maxRssKb;
          const cpuMs = report?.cpuMs ?? (user !== undefined ? (user + system!) * 1000 : undefined);
          resolve({
            ms,
            bytes: statSync(file).size,
            ...(maxRssKb !== undefined ? { maxRssKb } : {}),
            ...(cpuMs !== undefined ? { cpuMs } : {}),
            ...(report ? { startMaxRssKb: report.startMaxRssKb, tookMs: report.tookMs } : {}),
          });
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        } finally {
          rmSync(timeFile, { force: true });
        }
      });
    });
  }
}

/** Median peak RSS and median growth above the peak once connected, in MiB. */
function rssOf(runs: readonly Run[]): { peak: number; aboveStart?: number } {
  const peak = median(runs.map((r) => mib(r.maxRssKb ?? Number.NaN)));
  const starts = runs.filter((r) => r.startMaxRssKb !== undefined && r.maxRssKb !== undefined);
  if (starts.length === 0) return { peak };
  return { peak, aboveStart: median(starts.map((r) => mib(r.maxRssKb! - r.startMaxRssKb!))) };
}

const bench: Benchmark = {
  name: 'ops',
  async run(ctx) {
    const fullMiB = Number(process.env['BENCH_OPS_MB'] ?? Math.max(8, Math.round(DEFAULT_MIB * ctx.scale)));
    const smallMiB = Math.max(2, Math.round(fullMiB / 4));
    const keysFor = (m: number): number => Math.round((m * 1024 * 1024) / VALUE_BYTES);
    const gnuTime = hasGnuTime();
    const log = (text: string): boolean => process.stderr.write(`bench: ops: ${text}\n`);
    // Its own 1-member cluster: a snapshot comes from one member, and filling it is not slowed
    // by replication (the runner's 3-member cluster stays idle meanwhile).
    const cluster = await EtcdCluster.start({ size: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'bench-ops-'));
    const endpoint = cluster.endpoints[0]!;
    // Snapshots through the client epctl uses (ClusterOps: a 4 MiB HTTP/2 window).
    const ops = await ClusterOps.connect({ endpoints: [endpoint] });
    const client = ops.client;
    try {
      const runner = new SnapshotRunner(endpoint, client, dir, gnuTime);
      const filled = async (from: number, to: number): Promise<void> => {
        const start = nowMs();
        await fill(client, from, to);
        const ms = nowMs() - start;
        log(`wrote ${to - from} keys x 1 KiB in ${Math.round(ms)} ms (${(((to - from) * VALUE_BYTES) / 1e6 / (ms / 1000)).toFixed(1)} MB/s of values)`);
      };

      // A quarter of the keyspace: peak RSS only.
      await filled(0, keysFor(smallMiB));
      const small = noRuns();
      for (let r = 0; r < SMALL_ROUNDS; r++) for (const v of ['etcdctl', 'digest child', 'full child'] as const) small[v].push(await runner.run(v));
      const smallDb = small.etcdctl[0]!.bytes;

      // The full keyspace: throughput, CPU time and peak RSS.
      await filled(keysFor(smallMiB), keysFor(fullMiB));
      for (const v of VARIANTS) await runner.run(v); // warm-up: etcd's page cache, JIT, tsx's cache
      const large = noRuns();
      for (let r = 0; r < ROUNDS; r++) {
        for (let i = 0; i < VARIANTS.length; i++) {
          const v = VARIANTS[(i + r) % VARIANTS.length]!;
          const run = await runner.run(v);
          large[v].push(run);
          const rss = run.maxRssKb !== undefined ? `, peak RSS ${mib(run.maxRssKb).toFixed(0)} MiB` : '';
          log(`round ${r + 1}: ${v} ${run.ms.toFixed(0)} ms, ${mbPerS(run).toFixed(1)} MB/s${rss}`);
        }
      }

      const largeDb = large.etcdctl[0]!.bytes;
      const reduced = fullMiB < FULL_MIB ? `, reduced default: BENCH_OPS_MB=${FULL_MIB} for the full ${FULL_MIB} MiB` : '';
      const size = `${fullMiB} MiB keyspace (${keysFor(fullMiB)} keys x 1 KiB, snapshot ${(largeDb / 1e6).toFixed(0)} MB${reduced})`;
      const speed = (v: Variant): Record<string, number> => ({ median: median(large[v].map(mbPerS)), best: Math.max(...large[v].map(mbPerS)) });
      const startUp = (v: Variant): string => {
        const ms = large[v].filter((r) => r.tookMs !== undefined).map((r) => r.ms - r.tookMs!);
        return ms.length > 0 ? `, of which start-up (spawn to exit minus its tookMs) median ${Math.round(median(ms))} ms` : '';
      };
      const describe = (v: Variant): string =>
        `saveSnapshot verify '${v.split(' ')[0]}', ${v.endsWith('child') ? `child process (node --import tsx), spawn to exit${startUp(v)}` : 'in-process call'}, ${ROUNDS} rounds, ${size}`;

      const rows: BenchRow[] = (['digest in-process', 'full in-process', 'digest child', 'full child'] as const).map((v) => ({
        bench: 'ops',
        metric: describe(v),
        unit: 'MB/s',
        ours: speed(v),
        reference: speed('etcdctl'),
        referenceName: 'etcdctl snapshot save, spawn to exit',
        target: '>= 0.9x',
      }));
      for (const v of ['full in-process', 'full child'] as const) {
        rows.push({
          bench: 'ops',
          metric: `${describe(v)}; against etcdctl doing the same checks`,
          unit: 'MB/s',
          ours: speed(v),
          reference: speed('etcdctl save+status'),
          referenceName: 'etcdctl snapshot save then etcdctl snapshot status (two processes, spawn to exit)',
          target: 'for reference',
        });
      }
      if (gnuTime) {
        const cpu = (v: Variant): number => median(large[v].map((r) => r.cpuMs ?? Number.NaN));
        rows.push({
          bench: 'ops',
          metric: `CPU time (user + system) per snapshot, ${size}; ours inside the child around the call (start-up excluded)`,
          unit: 'ms',
          ours: { digest: cpu('digest child'), full: cpu('full child') },
          reference: { digest: cpu('etcdctl'), full: cpu('etcdctl save+status') },
          referenceName: "etcdctl whole process (GNU time %U + %S): save for 'digest', save + status for 'full'",
          target: 'for reference',
        });
      }
      const how = gnuTime ? 'GNU time %M' : 'process.resourceUsage().maxRSS';
      for (const verify of ['digest', 'full'] as const) {
        rows.push({
          bench: 'ops',
          metric: `saveSnapshot child process peak RSS, verify '${verify}', ${fullMiB} MiB keyspace (snapshot ${(largeDb / 1e6).toFixed(0)} MB) vs ${smallMiB} MiB (${(smallDb / 1e6).toFixed(0)} MB); ${how}; aboveStart = peak minus the peak once connected`,
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
          metric: `peak RSS, saveSnapshot verify 'digest' child process vs etcdctl snapshot save, ${fullMiB} MiB keyspace (etcdctl at ${smallMiB} MiB: ${rssOf(small.etcdctl).peak.toFixed(1)} MiB); GNU time %M`,
          unit: 'MiB',
          ours: { peak: rssOf(large['digest child']).peak },
          reference: { peak: rssOf(large.etcdctl).peak },
          referenceName: 'etcdctl snapshot save',
          target: 'for reference',
        });
      }
      return rows;
    } finally {
      await ops.close();
      await cluster.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
