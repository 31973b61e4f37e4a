import type { ICompare, IRequestOp, ITxnRequest } from 'etcd3';

/** etcd's default `--max-request-bytes` (1.5 MiB). */
export const DEFAULT_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;

/**
 * Bytes etcd adds around a client's request before it checks `--max-request-bytes` (the raft
 * request header: request id, auth user name and revision; a few dozen bytes in practice).
 * Kept generous so that a request the check lets through is never refused by etcd.
 */
export const REQUEST_OVERHEAD_BYTES = 1024;

function varintBytes(n: number): number {
  let bytes = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    bytes++;
  }
  return bytes;
}

/** A length-delimited protobuf field holding `length` bytes (tag, length, payload). */
function field(length: number): number {
  return 1 + varintBytes(length) + length;
}

/** A varint protobuf field (tag + value), 0 when the value is the default. */
function intField(value: number | string | undefined): number {
  const n = Number(value ?? 0);
  return n === 0 ? 0 : 1 + varintBytes(n);
}

function bytesOf(value: Buffer | string | undefined): number {
  if (value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

function compareBytes(c: ICompare): number {
  // key, range_end, target, result, and one of version / create / mod revision or value.
  return (
    field(bytesOf(c.key)) +
    (c.range_end ? 1 + field(bytesOf(c.range_end)) : 0) + // field 64: a two-byte tag
    2 +
    2 +
    (c.value !== undefined ? field(bytesOf(c.value)) : intField(c.mod_revision ?? c.create_revision ?? c.version) || 2)
  );
}

function opBytes(op: IRequestOp): number {
  let inner = 0;
  if (op.request_put) {
    const put = op.request_put;
    inner = field(field(bytesOf(put.key)) + (put.value ? field(bytesOf(put.value)) : 0) + intField(put.lease as number | string | undefined));
  } else if (op.request_delete_range) {
    const del = op.request_delete_range;
    inner = field(field(bytesOf(del.key)) + (del.range_end ? field(bytesOf(del.range_end)) : 0));
  } else if (op.request_range) {
    const range = op.request_range;
    inner = field(field(bytesOf(range.key)) + (range.range_end ? field(bytesOf(range.range_end)) : 0) + 16);
  } else if (op.request_txn) {
    inner = field(txnRequestBytes(op.request_txn));
  }
  return inner;
}

/**
 * The protobuf-encoded size of a transaction request, computed from its keys and values (exact
 * for puts and deletes, an upper bound for the rest). What etcd compares with
 * `--max-request-bytes`, less {@link REQUEST_OVERHEAD_BYTES}.
 */
export function txnRequestBytes(txn: ITxnRequest): number {
  let total = 0;
  for (const c of txn.compare ?? []) total += field(compareBytes(c));
  for (const op of txn.success ?? []) total += field(opBytes(op));
  for (const op of txn.failure ?? []) total += field(opBytes(op));
  return total;
}
