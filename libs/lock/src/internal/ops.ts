import { prefixRangeEnd } from '@etcd-patterns/etcd';
import { CompareResult, CompareTarget, SortOrder, SortTarget, type ICompare, type IRequestOp } from 'etcd3';

// Raw request builders for the Go `concurrency` transactions. Raw requests (not etcd3's
// builders) keep every call to exactly one RPC and let the read-only ones be recognised as such.

/** `CREATE(key) == revision` (0: the key does not exist). */
export function createRevisionIs(key: string, revision: number): ICompare {
  return { key: Buffer.from(key), target: CompareTarget.Create, result: CompareResult.Equal, create_revision: String(revision) };
}

/** Put `key = value` attached to `lease`. */
export function putOp(key: string, value: Buffer, lease: string): IRequestOp {
  return { request_put: { key: Buffer.from(key), value, lease } };
}

/** Get one key. */
export function getOp(key: string): IRequestOp {
  return { request_range: { key: Buffer.from(key) } };
}

/** Delete one key. */
export function deleteOp(key: string): IRequestOp {
  return { request_delete_range: { key: Buffer.from(key) } };
}

/** The first-created key under `prefix` (Go `WithFirstCreate`): the lock owner or leader. */
export function firstCreatedOp(prefix: string): IRequestOp {
  const key = Buffer.from(prefix);
  return {
    request_range: { key, range_end: prefixRangeEnd(key), sort_order: SortOrder.Ascend, sort_target: SortTarget.Create, limit: 1 },
  };
}

/** The last key under `prefix` created at or before `maxCreateRevision`: the waiter's predecessor. */
export function lastCreatedBeforeOp(prefix: string, maxCreateRevision: number): IRequestOp {
  const key = Buffer.from(prefix);
  return {
    request_range: {
      key,
      range_end: prefixRangeEnd(key),
      sort_order: SortOrder.Descend,
      sort_target: SortTarget.Create,
      max_create_revision: String(maxCreateRevision),
      limit: 1,
    },
  };
}
