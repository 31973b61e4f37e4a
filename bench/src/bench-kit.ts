import type { Etcd3 } from 'etcd3';
import type { EtcdCluster } from '@etcd-patterns/etcd-cluster';

/** What every benchmark gets: a fresh 3-member cluster and a way to make clients. */
export interface BenchContext {
  readonly cluster: EtcdCluster;
  /** A client from `createEtcdClient` (closed by the runner). */
  client(endpoints?: readonly string[]): Promise<Etcd3>;
  /** Scale factor from `BENCH_SCALE` (default 1); multiply sample counts by it. */
  readonly scale: number;
}

/** One row of the results table. */
export interface BenchRow {
  /** Benchmark group, e.g. `watch`. */
  readonly bench: string;
  /** What was measured, e.g. `put->event latency`. */
  readonly metric: string;
  /** Our figure, e.g. `{ p50: 1.2, p99: 3.4 }` in `unit`. */
  readonly ours: Record<string, number>;
  /** The reference measured in the same run, same keys. */
  readonly reference: Record<string, number>;
  /** Name of the reference, e.g. `raw etcd put`. */
  readonly referenceName: string;
  /** Unit of the figures, e.g. `ms` or `ops/s`. */
  readonly unit: string;
  /** ours / reference per key (computed by the runner). */
  readonly ratio?: Record<string, number>;
  /** The target, e.g. `p99 ratio <= 2`. */
  readonly target?: string;
}

/** A benchmark module: `bench/src/<name>.bench.ts` default-exports one of these. */
export interface Benchmark {
  readonly name: string;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}

/** Percentile (0-100) of a list of numbers, nearest-rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** p50 and p99 of a list of latencies. */
export function latencySummary(values: readonly number[]): { p50: number; p99: number } {
  return { p50: percentile(values, 50), p99: percentile(values, 99) };
}

/** High-resolution milliseconds. */
export function nowMs(): number {
  return performance.now();
}
