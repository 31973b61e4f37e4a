import { assertServiceName, type ServiceInstance } from '@etcd-patterns/discovery';

/** A parsed `etcd:///service?field=value&...` target. */
export interface EtcdTarget {
  /** Service name. */
  readonly service: string;
  /** Metadata equality filters from the query string (`version=2.0.0&zone=eu-1`). */
  readonly match: Readonly<Record<string, string>>;
}

/**
 * Parses the path of an `etcd:///` target (what grpc-js passes to the resolver):
 * `greeter` or `greeter?version=2.0.0&zone=eu-1`. Query fields select instances whose metadata
 * field, as a string, equals the value.
 * @throws {DiscoveryArgumentError} for a bad service name.
 */
export function parseEtcdTarget(path: string): EtcdTarget {
  const [name = '', query = ''] = path.split('?', 2);
  const service = name.replace(/^\/+/, '');
  assertServiceName(service);
  const match: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(query)) match[k] = v;
  return { service, match };
}

/** Whether an instance's metadata satisfies a target's query filters. */
export function matchesTarget(target: EtcdTarget, instance: ServiceInstance): boolean {
  return Object.entries(target.match).every(([field, value]) => {
    const actual = instance.metadata[field];
    return actual !== undefined && actual !== null && String(actual) === value;
  });
}
