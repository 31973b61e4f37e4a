import { ValueType, type Counter, type Histogram } from '@opentelemetry/api';
import { perMeterProvider } from '@etcd-patterns/etcd';

/** Instrumentation scope of this library's metrics (keep the version in step with package.json). */
export const METER_NAME = '@etcd-patterns/lock';
export const METER_VERSION = '0.1.0';

/** How a lock wait ended. */
export type LockWaitOutcome =
  /** The lock is held. */
  | 'acquired'
  /** `tryLock()` found it taken. */
  | 'taken'
  /** Aborted, session lost, or an etcd error. */
  | 'failed';

/** What happened to this process's leadership. */
export type LeadershipChange = 'elected' | 'resigned' | 'lost';

/** Seconds: from a free lock (a round trip) to a queue behind long jobs. */
const LOCK_BUCKETS_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * This library's instruments, through `@opentelemetry/api` only: without a registered
 * MeterProvider they are no-ops. Lock names are not recorded: they often carry ids
 * (`/locks/jobs/<id>`); election names are (one per role, e.g. `worker/requeue`).
 *
 * | name | type | unit | attributes |
 * |---|---|---|---|
 * | `etcd_patterns.lock.wait.duration` | histogram | s | `lock.outcome` (`acquired`, `taken`, `failed`) |
 * | `etcd_patterns.lock.hold.duration` | histogram | s | `lock.lost` (`true` when the lock was lost before `unlock()`) |
 * | `etcd_patterns.lock.leadership.changes` | counter | `{change}` | `election.name`, `change` (`elected`, `resigned`, `lost`) |
 */
interface Instruments {
  readonly wait: Histogram;
  readonly hold: Histogram;
  readonly leadership: Counter;
}

// One set per MeterProvider: created on first use, again only if another provider is registered.
const instruments = perMeterProvider(METER_NAME, METER_VERSION, (meter): Instruments => {
  const advice = { explicitBucketBoundaries: LOCK_BUCKETS_SECONDS };
  const created: Instruments = {
    wait: meter.createHistogram('etcd_patterns.lock.wait.duration', {
      unit: 's',
      description: 'Time Mutex.lock()/tryLock() took, from the call to the lock held (or the failure).',
      advice,
    }),
    hold: meter.createHistogram('etcd_patterns.lock.hold.duration', {
      unit: 's',
      description: 'Time a Mutex lock was held, from acquisition to unlock().',
      advice,
    }),
    leadership: meter.createCounter('etcd_patterns.lock.leadership.changes', {
      unit: '{change}',
      description: "This process's leadership changes: elected, resigned, or lost before resigning.",
      valueType: ValueType.INT,
    }),
  };
  return created;
});

export function recordLockWait(durationMs: number, outcome: LockWaitOutcome): void {
  instruments().wait.record(durationMs / 1000, { 'lock.outcome': outcome });
}

export function recordLockHold(durationMs: number, lost: boolean): void {
  instruments().hold.record(durationMs / 1000, { 'lock.lost': lost });
}

export function recordLeadershipChange(election: string, change: LeadershipChange): void {
  instruments().leadership.add(1, { 'election.name': election, change });
}
