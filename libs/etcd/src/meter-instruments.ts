import { metrics, type Meter, type MeterProvider } from '@opentelemetry/api';

/**
 * A library's metric instruments, made lazily through `@opentelemetry/api` only: the first call
 * creates them with `create` on the global MeterProvider's meter `name`/`version`, later calls
 * return the same set, and a set is created again only when another provider has been
 * registered since (tests register their own). Without a registered provider the instruments
 * are the API's no-ops, so a library costs nothing to users who collect no metrics.
 *
 * @example
 * const instruments = perMeterProvider('@etcd-patterns/discovery', '0.1.0', (meter) => ({
 *   registrations: meter.createCounter('etcd_patterns.discovery.registrations'),
 * }));
 * instruments().registrations.add(1);
 */
export function perMeterProvider<T>(name: string, version: string, create: (meter: Meter) => T): () => T {
  let cached: { readonly provider: MeterProvider; readonly instruments: T } | undefined;
  return () => {
    const provider = metrics.getMeterProvider();
    if (cached?.provider !== provider) cached = { provider, instruments: create(provider.getMeter(name, version)) };
    return cached.instruments;
  };
}
