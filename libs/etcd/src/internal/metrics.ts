import { ValueType, type Counter, type Histogram } from '@opentelemetry/api';
import { perMeterProvider } from '../meter-instruments';
import type { SessionLostReason } from '../session';

/** Instrumentation scope of this library's metrics (keep the version in step with package.json). */
export const METER_NAME = '@etcd-patterns/etcd';
export const METER_VERSION = '0.1.0';

/**
 * Bucket boundaries of etcd call latencies, in seconds: a healthy loopback call takes about a
 * millisecond, a call that waits for its whole deadline 5 s.
 */
const LATENCY_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * This library's instruments, through `@opentelemetry/api` only: without a registered
 * MeterProvider they are no-ops. Attributes stay low-cardinality (no lease ids, keys or
 * prefixes: lock waits watch one key per waiter).
 *
 * | name | type | unit | attributes |
 * |---|---|---|---|
 * | `etcd_patterns.etcd.request.duration` | histogram | s | `rpc.service` (`etcdserverpb.KV`, ...), `rpc.method` (`Range`, `Txn`, ...), `error.type` (an `EtcdErrorCode`, failures only) |
 * | `etcd_patterns.etcd.session.keepalive_failures` | counter | `{failure}` | `error.type` |
 * | `etcd_patterns.etcd.session.losses` | counter | `{loss}` | `reason` (`deadline`, `stalled`, `lease-not-found`) |
 * | `etcd_patterns.etcd.watch.reconnects` | counter | `{reconnect}` | `error.type` |
 * | `etcd_patterns.etcd.watch.compaction_relists` | counter | `{relist}` | none |
 */
interface Instruments {
  readonly requestDuration: Histogram;
  readonly keepaliveFailures: Counter;
  readonly sessionLosses: Counter;
  readonly watchReconnects: Counter;
  readonly watchRelists: Counter;
}

// One set per MeterProvider: created on first use, again only if another provider is registered.
const instruments = perMeterProvider(METER_NAME, METER_VERSION, (meter): Instruments => {
  const counter = (name: string, unit: string, description: string): Counter =>
    meter.createCounter(name, { unit, description, valueType: ValueType.INT });
  const created: Instruments = {
    requestDuration: meter.createHistogram('etcd_patterns.etcd.request.duration', {
      unit: 's',
      description: 'Duration of unary etcd calls as the caller sees them (read retries on another member included).',
      advice: { explicitBucketBoundaries: LATENCY_BUCKETS_SECONDS },
    }),
    keepaliveFailures: counter('etcd_patterns.etcd.session.keepalive_failures', '{failure}', 'Session keepalives that failed or were not answered in time (each is retried at once).'),
    sessionLosses: counter('etcd_patterns.etcd.session.losses', '{loss}', 'Sessions lost: no keepalive succeeded in time, the process stalled, or etcd no longer had the lease.'),
    watchReconnects: counter('etcd_patterns.etcd.watch.reconnects', '{reconnect}', 'Prefix watches re-opened (or re-read) after a retryable failure.'),
    watchRelists: counter('etcd_patterns.etcd.watch.compaction_relists', '{relist}', 'Prefix watches whose resume revision was compacted, so the prefix was read again.'),
  };
  return created;
});

/** Records one unary call: `service` and `method` as etcd3 names them (`KV`, `range`). */
export function recordRequest(service: string, method: string, durationMs: number, errorCode?: string): void {
  const attributes: Record<string, string> = {
    'rpc.service': `etcdserverpb.${service}`,
    'rpc.method': method.charAt(0).toUpperCase() + method.slice(1),
  };
  if (errorCode !== undefined) attributes['error.type'] = errorCode;
  instruments().requestDuration.record(durationMs / 1000, attributes);
}

export function recordKeepaliveFailure(errorCode: string): void {
  instruments().keepaliveFailures.add(1, { 'error.type': errorCode });
}

export function recordSessionLoss(reason: SessionLostReason): void {
  instruments().sessionLosses.add(1, { reason });
}

export function recordWatchReconnect(errorCode: string): void {
  instruments().watchReconnects.add(1, { 'error.type': errorCode });
}

export function recordWatchRelist(): void {
  instruments().watchRelists.add(1);
}
