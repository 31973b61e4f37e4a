import { createHash } from 'node:crypto';

/** Namespace of the job ids derived from idempotency keys (a fixed random UUID of this app). */
export const JOB_ID_NAMESPACE = '5b0a3c52-8f0e-4c3e-9d55-3f6f0d2f1a61';

/**
 * Name-based UUID (RFC 9562 version 5: SHA-1 of `namespace` and `name`). The same inputs always
 * give the same UUID. @throws {Error} when `namespace` is not a UUID.
 */
export function uuidV5(name: string, namespace: string): string {
  const ns = namespace.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(ns)) throw new Error(`not a UUID: ${namespace}`);
  const bytes = createHash('sha1').update(Buffer.from(ns, 'hex')).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The job id of a `POST /jobs` with this `Idempotency-Key`: every retry of the submission
 * (even a concurrent one) carries the same id, and the worker creates a job only if that id is
 * free (one etcd transaction), so a key can never create two jobs.
 */
export function jobIdForIdempotencyKey(key: string): string {
  return uuidV5(key, JOB_ID_NAMESPACE);
}
