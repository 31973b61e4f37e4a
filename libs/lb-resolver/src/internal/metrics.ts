import { ValueType, type Counter } from '@opentelemetry/api';
import { perMeterProvider } from '@etcd-patterns/etcd';

/** Instrumentation scope of this library's metrics (keep the version in step with package.json). */
export const METER_NAME = '@etcd-patterns/lb-resolver';
export const METER_VERSION = '0.1.0';

/**
 * This library's instruments, through `@opentelemetry/api` only: without a registered
 * MeterProvider they are no-ops. Picks are counted per instance address on purpose (how calls
 * spread over instances is the point); a replaced instance's series stays until the process
 * restarts, as every cumulative series does.
 *
 * | name | type | unit | attributes |
 * |---|---|---|---|
 * | `etcd_patterns.lb_resolver.picks` | counter | `{pick}` | `discovery.service` (the `etcd:///` target's service), `server.address` (`host:port`), `lb.policy` (`etcd_p2c`, `etcd_weighted_round_robin`) |
 *
 * Only this library's policies count picks; grpc-js's own `round_robin` and `pick_first` do not.
 */
interface Instruments {
  readonly picks: Counter;
}

// One set per MeterProvider: created on first use, again only if another provider is registered.
const instruments = perMeterProvider(METER_NAME, METER_VERSION, (meter): Instruments => {
  const created: Instruments = {
    picks: meter.createCounter('etcd_patterns.lb_resolver.picks', {
      unit: '{pick}',
      description: 'Calls a balancing policy sent to an instance (picks that found a ready subchannel).',
      valueType: ValueType.INT,
    }),
  };
  return created;
});

export function recordPick(service: string, address: string, policy: string): void {
  instruments().picks.add(1, { 'discovery.service': service, 'server.address': address, 'lb.policy': policy });
}
