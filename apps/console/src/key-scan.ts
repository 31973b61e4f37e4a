import { prefixRangeEnd, toKeyValue, type Etcd3, type KeyValue } from '@etcd-patterns/etcd';
import { ApiException, consoleEtcdError } from './api-error';

/** The range of keys starting with `prefix`; `''` is the whole keyspace. */
export function prefixRange(prefix: string): { key: Buffer; rangeEnd: Buffer } {
  if (prefix === '') return { key: Buffer.from([0]), rangeEnd: Buffer.from([0]) };
  const key = Buffer.from(prefix);
  return { key, rangeEnd: prefixRangeEnd(key) };
}

/** The smallest key after `key` (`key + "\0"`), where a page continues. */
export function keyAfter(key: string): Buffer {
  return Buffer.concat([Buffer.from(key), Buffer.from([0])]);
}

/** Options of {@link scanKeys}. */
export interface ScanKeysOptions {
  /** Keys per range call (default 1000). */
  readonly pageSize?: number;
  /** Refuse (413 `TOO_LARGE`) a prefix with more keys than this (default 200000). */
  readonly maxKeys?: number;
  /** Read with values (default false: keys only). */
  readonly values?: boolean;
  /** Stops between pages. */
  readonly signal?: AbortSignal;
}

/**
 * Every key under `prefix` (`''`: the whole keyspace), keys only unless asked, paged through
 * range calls of `pageSize` at one revision (the first page's), so the result is consistent.
 * @throws {EtcdPatternsError} from etcd (permission denied: the user may not read the whole range).
 */
export async function scanKeys(client: Etcd3, prefix: string, options: ScanKeysOptions = {}): Promise<{ keys: KeyValue[]; revision: number }> {
  const { key, rangeEnd } = prefixRange(prefix);
  const pageSize = options.pageSize ?? 1000;
  const maxKeys = options.maxKeys ?? 200_000;
  const keys: KeyValue[] = [];
  let from = key;
  let revision: number | undefined;
  for (;;) {
    options.signal?.throwIfAborted();
    let res;
    try {
      res = await client.kv.range({ key: from, range_end: rangeEnd, limit: pageSize, keys_only: !options.values, ...(revision ? { revision } : {}) });
    } catch (error) {
      throw consoleEtcdError(error, `listing ${prefix || 'the keyspace'}`);
    }
    revision ??= Number(res.header.revision);
    for (const raw of res.kvs) keys.push(toKeyValue(raw));
    if (keys.length > maxKeys) throw new ApiException(413, 'TOO_LARGE', `more than ${maxKeys} keys under ${prefix || 'the keyspace'}: narrow the prefix`);
    if (!res.more || res.kvs.length === 0) return { keys, revision };
    from = Buffer.concat([res.kvs[res.kvs.length - 1]!.key, Buffer.from([0])]); // raw bytes: keys need not be UTF-8
  }
}
