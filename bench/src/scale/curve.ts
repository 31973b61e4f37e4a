// The shape every scale suite returns: one curve per measured relation, a point per size,
// ours beside a raw-etcd (or direct) reference measured at the same size in the same run.
import type { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import type { Etcd3 } from 'etcd3';

/** One size on a curve: our figures and the reference's, by metric name. */
export interface ScalePoint {
  /** The work size (instances, backends, bytes, lock names, waiters, watchers). */
  readonly size: number;
  /** Extra dimension of this point, for example `"10 services, 1 process"`. */
  readonly label?: string;
  readonly ours: Readonly<Record<string, number>>;
  /** Same metric names as `ours` where a reference exists; metrics without one are ours only. */
  readonly reference: Readonly<Record<string, number>>;
}

/** A metric that must stay flat per item across sizes (the "within 2x" targets). */
export interface FlatTarget {
  readonly metric: string;
  /** Largest allowed max/min ratio of the per-item value across the curve's points. */
  readonly within: number;
}

/**
 * A per-item cost that must not grow with the work (the "no cost grows faster than its
 * work"): at every size it stays within `within` times its value at the smallest size. Unlike
 * {@link FlatTarget} it passes a cost that falls with size (batching amortising a fixed cost).
 */
export interface NoGrowthTarget {
  readonly metric: string;
  /** Largest allowed value at any size over the value at the smallest size. */
  readonly within: number;
}

/** One curve: how a cost grows with its work. */
export interface ScaleCurve {
  /** Stable id, used as the key in bench/results/scale.json, for example `discovery.ready`. */
  readonly id: string;
  readonly title: string;
  /** What `size` counts, for example `instances`. */
  readonly xLabel: string;
  /** Unit per metric, for example `{ readyMs: 'ms', bytesPerInstance: 'B' }`. */
  readonly units: Readonly<Record<string, string>>;
  readonly referenceName: string;
  readonly points: readonly ScalePoint[];
  /** Metrics that must stay flat; the runner checks and reports them. */
  readonly flat?: readonly FlatTarget[];
  /** Per-item costs that must not grow with size; the runner checks and reports them. */
  readonly noGrowth?: readonly NoGrowthTarget[];
  /** Ratio targets per metric (ours / reference at every point must be <= value). */
  readonly maxRatio?: Readonly<Record<string, number>>;
  /** One line a reader takes away, written from the measured numbers (not canned). */
  readonly conclusion: string;
}

/** What the scale runner hands each suite. */
export interface ScaleContext {
  /** A 3-member cluster started for this suite (fresh per suite). */
  readonly cluster: EtcdCluster;
  /** A connected client the runner closes after the suite. */
  client(endpoints?: readonly string[]): Promise<Etcd3>;
  /** `--quick`: the smallest sizes only, for a smoke run of the harness itself. */
  readonly quick: boolean;
  /** Progress line to stderr. */
  log(message: string): void;
}

/** A scale suite: `bench/src/scale/<name>.scale.ts` default-exports one. */
export interface ScaleSuite {
  readonly name: string;
  run(ctx: ScaleContext): Promise<ScaleCurve[]>;
}
