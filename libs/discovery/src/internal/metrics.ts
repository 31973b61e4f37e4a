import { ValueType, type Counter } from '@opentelemetry/api';
import { perMeterProvider } from '@etcd-patterns/etcd';

/** Instrumentation scope of this library's metrics (keep the version in step with package.json). */
export const METER_NAME = '@etcd-patterns/discovery';
export const METER_VERSION = '0.1.0';

/** Why a registration was written again. */
export type ReregistrationReason =
  /** The lease was lost (revoked, expired): the registration went onto the keeper's next lease. */
  | 'new-lease'
  /** Its key was deleted behind the registry's back (e.g. `etcdctl del`) and put back on the same lease. */
  | 'key-deleted';

/**
 * This library's instruments, through `@opentelemetry/api` only: without a registered
 * MeterProvider they are no-ops. The one attribute is the service name (never the address:
 * instances come and go).
 *
 * | name | type | unit | attributes |
 * |---|---|---|---|
 * | `etcd_patterns.discovery.registrations` | counter | `{registration}` | `discovery.service` |
 * | `etcd_patterns.discovery.reregistrations` | counter | `{registration}` | `discovery.service`, `reason` (`new-lease`, `key-deleted`) |
 */
interface Instruments {
  readonly registrations: Counter;
  readonly reregistrations: Counter;
}

// One set per MeterProvider: created on first use, again only if another provider is registered.
const instruments = perMeterProvider(METER_NAME, METER_VERSION, (meter): Instruments => {
  const created: Instruments = {
    registrations: meter.createCounter('etcd_patterns.discovery.registrations', {
      unit: '{registration}',
      description: 'Instances registered: first writes of their key.',
      valueType: ValueType.INT,
    }),
    reregistrations: meter.createCounter('etcd_patterns.discovery.reregistrations', {
      unit: '{registration}',
      description: 'Registrations written again, after a lost lease or a deleted key.',
      valueType: ValueType.INT,
    }),
  };
  return created;
});

export function recordRegistration(service: string): void {
  instruments().registrations.add(1, { 'discovery.service': service });
}

export function recordReregistration(service: string, reason: ReregistrationReason): void {
  instruments().reregistrations.add(1, { 'discovery.service': service, reason });
}
