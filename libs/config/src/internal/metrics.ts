import { ValueType, type Counter, type Gauge } from '@opentelemetry/api';
import { perMeterProvider } from '@etcd-patterns/etcd';
import type { ConfigChangeSource } from '../watch-config';

/** Instrumentation scope of this library's metrics (keep the version in step with package.json). */
export const METER_NAME = '@etcd-patterns/config';
export const METER_VERSION = '0.1.0';

/**
 * This library's instruments (hot config, `watchConfig`), through `@opentelemetry/api` only:
 * without a registered MeterProvider they are no-ops. Attributes: the namespace (`env/app`),
 * the change's source, the refusal's error code.
 *
 * | name | type | unit | attributes |
 * |---|---|---|---|
 * | `etcd_patterns.config.version` | gauge | `{version}` | `config.namespace` (the version applied last; 0 for a default) |
 * | `etcd_patterns.config.applied` | counter | `{change}` | `config.namespace`, `config.source` (`publish`, `rollback`, `out-of-band`, `default`) |
 * | `etcd_patterns.config.rejected` | counter | `{change}` | `config.namespace`, `error.type` (`CONFIG_VALIDATION_FAILED`, `CONFIG_OUT_OF_BAND`, `CONFIG_NOT_FOUND`, ...) |
 */
interface Instruments {
  readonly version: Gauge;
  readonly applied: Counter;
  readonly rejected: Counter;
}

// One set per MeterProvider: created on first use, again only if another provider is registered.
const instruments = perMeterProvider(METER_NAME, METER_VERSION, (meter): Instruments => {
  const created: Instruments = {
    version: meter.createGauge('etcd_patterns.config.version', {
      unit: '{version}',
      description: 'Config version a hot config applied last (0 for a default value or settings never published).',
      valueType: ValueType.INT,
    }),
    applied: meter.createCounter('etcd_patterns.config.applied', {
      unit: '{change}',
      description: 'Config changes a hot config validated and applied.',
      valueType: ValueType.INT,
    }),
    rejected: meter.createCounter('etcd_patterns.config.rejected', {
      unit: '{change}',
      description: 'Config changes a hot config refused (schema, out of band, unreadable, every key deleted); it kept its last value.',
      valueType: ValueType.INT,
    }),
  };
  return created;
});

export function recordConfigApplied(namespace: string, version: number, source: ConfigChangeSource): void {
  const { applied, version: gauge } = instruments();
  applied.add(1, { 'config.namespace': namespace, 'config.source': source });
  gauge.record(version, { 'config.namespace': namespace });
}

export function recordConfigRejected(namespace: string, code: string): void {
  instruments().rejected.add(1, { 'config.namespace': namespace, 'error.type': code });
}
