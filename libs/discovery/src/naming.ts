import type { KeyValue } from '@etcd-patterns/etcd';
import { z } from 'zod';
import { DiscoveryArgumentError, InvalidInstanceError } from './errors';
import type { InstanceMetadata, ServiceInstance } from './service-instance';

/** Default root prefix of registrations: keys are `/services/<service>/<host:port>`. */
export const DEFAULT_SERVICE_PREFIX = '/services';

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
// host (IPv6 in brackets, or a name / IPv4), then the port in group 1. No named groups: this runs
// once per instance a watcher decodes, and building `groups` costs more than the match.
const ADDRESS = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?):(\d{1,5})$/;

/** Throws unless `service` is a usable service name (letters, digits, `.`, `_`, `-`; no `/`). */
export function assertServiceName(service: string): void {
  if (typeof service !== 'string' || !SERVICE_NAME.test(service)) {
    throw new DiscoveryArgumentError(
      `invalid service name ${JSON.stringify(service)}: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
}

/** Whether `address` is `host:port` (IPv6 in brackets) with a port in 1-65535. */
export function isValidAddress(address: unknown): address is string {
  if (typeof address !== 'string') return false;
  const match = ADDRESS.exec(address);
  if (match === null) return false;
  const port = Number(match[1]);
  return port >= 1 && port <= 65535;
}

/** Normalises a root prefix: leading `/` kept as given, no trailing `/`, not empty. */
export function normalizePrefix(prefix: string = DEFAULT_SERVICE_PREFIX): string {
  const trimmed = prefix.replace(/\/+$/, '');
  if (trimmed === '' || /\s/.test(trimmed)) {
    throw new DiscoveryArgumentError(`invalid prefix ${JSON.stringify(prefix)}: must be a non-empty key path without spaces`);
  }
  return trimmed;
}

/**
 * The key prefix of one service, always with the trailing slash, so that `greeter` never
 * matches `greeter2` (the Go naming resolver's rule).
 */
export function servicePrefix(prefix: string, service: string): string {
  assertServiceName(service);
  return `${normalizePrefix(prefix)}/${service}/`;
}

/** The key of one instance: `<prefix>/<service>/<host:port>` (Go naming, legacy 3.4 layout). */
export function instanceKey(prefix: string, service: string, address: string): string {
  if (!isValidAddress(address)) {
    throw new DiscoveryArgumentError(`invalid address ${JSON.stringify(address)}: expected host:port with a port in 1-65535`);
  }
  return servicePrefix(prefix, service) + address;
}

const metadataSchema = z
  .object({
    version: z.string().min(1).max(128).optional(),
    zone: z.string().min(1).max(128).optional(),
    weight: z.number().int().min(1).max(1_000_000).optional(),
  })
  .catchall(z.unknown());

/** Validates metadata given to `register`. @throws {DiscoveryArgumentError} */
export function validateMetadata(metadata: unknown = {}): InstanceMetadata {
  const parsed = metadataSchema.safeParse(metadata);
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => `${i.path.join('.') || 'metadata'}: ${i.message}`).join('; ');
    throw new DiscoveryArgumentError(`invalid metadata: ${details}`, { cause: parsed.error });
  }
  try {
    JSON.stringify(parsed.data);
  } catch (error) {
    throw new DiscoveryArgumentError('invalid metadata: not serialisable as JSON', { cause: error });
  }
  return parsed.data as InstanceMetadata;
}

/**
 * The stored value, byte for byte what Go's naming package writes:
 * `{"Op":0,"Addr":"host:port","Metadata":{...}}`.
 */
export function encodeInstanceValue(address: string, metadata: InstanceMetadata): string {
  return JSON.stringify({ Op: 0, Addr: address, Metadata: metadata });
}

function field(record: Record<string, unknown>, name: string): unknown {
  // Go writes the exact names (`Addr`, `Metadata`): look those up first, scan only otherwise.
  if (Object.hasOwn(record, name)) return record[name];
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(record)) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

/**
 * Parses one stored instance. Field names match case-insensitively (Go's `encoding/json`
 * rule); add or delete comes from the watch event, not from `Op`. Metadata that is not a JSON
 * object (Go allows any value) becomes `{}`; a `weight` that is not a positive integer is dropped.
 * @throws {InvalidInstanceError} for non-JSON values, a missing or bad `Addr`, or a key that
 *   is not `<servicePrefix><something>`.
 */
export function decodeInstance(service: string, servicePrefixKey: string, kv: KeyValue): ServiceInstance {
  if (!kv.key.startsWith(servicePrefixKey) || kv.key.length === servicePrefixKey.length) {
    throw new InvalidInstanceError(kv.key, `key is not under ${servicePrefixKey}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(kv.value.toString('utf8'));
  } catch (error) {
    throw new InvalidInstanceError(kv.key, 'value is not JSON', { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidInstanceError(kv.key, 'value is not a JSON object');
  }
  const record = parsed as Record<string, unknown>;
  const address = field(record, 'Addr');
  if (!isValidAddress(address)) {
    throw new InvalidInstanceError(kv.key, `Addr ${JSON.stringify(address)} is not host:port`);
  }
  const raw = field(record, 'Metadata');
  // `raw` is part of the object JSON.parse just made for us alone: used as is, not copied.
  const metadata: Record<string, unknown> = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  if (metadata['weight'] !== undefined && !(Number.isInteger(metadata['weight']) && (metadata['weight'] as number) > 0)) {
    delete metadata['weight'];
  }
  return {
    service,
    address,
    metadata: metadata as InstanceMetadata,
    key: kv.key,
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    lease: kv.lease,
  };
}
