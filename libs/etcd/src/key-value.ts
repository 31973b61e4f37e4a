import type { IKeyValue } from 'etcd3';

/**
 * A key-value pair as etcd stores it. Revisions are JS numbers: exact up to 2^53, which at
 * one write per microsecond lasts 285 years. Lease ids stay decimal strings (they are random
 * 63-bit values).
 */
export interface KeyValue {
  /** The key, decoded as UTF-8. */
  readonly key: string;
  /** The raw value. */
  readonly value: Buffer;
  /** Revision of the key's creation (the Go lock/election order and fencing token). */
  readonly createRevision: number;
  /** Revision of the last change. */
  readonly modRevision: number;
  /** Number of changes since creation (1 for a new key). */
  readonly version: number;
  /** Lease id the key is attached to, `'0'` for none. */
  readonly lease: string;
}

/** A change under a watched prefix. For `delete`, `kv` has the key and the delete revision. */
export type WatchEvent =
  | { readonly type: 'put'; readonly kv: KeyValue }
  | { readonly type: 'delete'; readonly kv: KeyValue };

/** Converts etcd3's wire key-value (strings for int64) to {@link KeyValue}. */
export function toKeyValue(kv: IKeyValue): KeyValue {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value ?? Buffer.alloc(0),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
    version: Number(kv.version),
    lease: String(kv.lease ?? '0'),
  };
}

/**
 * The exclusive end of the range of keys starting with `prefix` (etcd's `GetPrefixRangeEnd`).
 */
export function prefixRangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  // All 0xff (or empty): everything after the prefix.
  return Buffer.from([0]);
}
