import type { Session } from '@etcd-patterns/etcd';
import { LockError } from '../errors';

/** Longest name accepted, in UTF-8 bytes (etcd allows more; longer names are almost surely bugs). */
export const MAX_NAME_BYTES = 1024;

/** Keys of one lock or election name, in Go `concurrency` layout. */
export interface NameKeys {
  /** The name as given. */
  readonly name: string;
  /** `NAME + "/"`: every waiter or candidate key starts with it. */
  readonly prefix: string;
  /** This session's key: `NAME + "/" + hex(lease)`. */
  readonly key: string;
}

/**
 * Validates a lock or election name and derives the Go-compatible keys. Names are used
 * verbatim, exactly as Go's `concurrency.NewMutex(s, name)` and `etcdctl lock NAME` do.
 *
 * @throws {LockError} `LOCK_INVALID_NAME` for a non-string or empty name, a name that ends in
 *   `/` (the separator is added here; `a/` would give keys `a//...`), a name with control
 *   characters, or one longer than {@link MAX_NAME_BYTES}.
 */
export function validateName(name: unknown, what: 'lock' | 'election'): string {
  const bad = (why: string): LockError =>
    new LockError('LOCK_INVALID_NAME', `invalid ${what} name ${JSON.stringify(name)}: ${why}`);
  if (typeof name !== 'string') throw bad('must be a string');
  if (name.length === 0) throw bad('must not be empty');
  if (name.endsWith('/')) throw bad('must not end with "/" (the key separator is added automatically)');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw bad('must not contain control characters');
  if (Buffer.from(name).toString('utf8') !== name) throw bad('must be well-formed Unicode (no lone surrogates)');
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) throw bad(`must be at most ${MAX_NAME_BYTES} bytes`);
  return name;
}

/** Keys of `name` for `session`. */
export function nameKeys(session: Session, name: string): NameKeys {
  const prefix = `${name}/`;
  return { name, prefix, key: prefix + session.leaseIdHex };
}
