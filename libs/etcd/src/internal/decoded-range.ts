import type { Etcd3, IRangeRequest } from 'etcd3';
import type Long from 'long';
import { loadSync, type Type } from 'protobufjs';
import { poolOf } from './pool';
import type { KeyValue } from '../key-value';

/**
 * The KV client method this module adds (a name etcd3 does not use). Calls go through etcd3's
 * pool like `client.kv.range` does, so they get the same member choice, auth token, deadline
 * and read retry (`KV.rangeKeyValues` is read-only in read-retry.ts).
 */
export const RANGE_KEY_VALUES = 'rangeKeyValues';

/** A range read's result, already in the library's types. */
export interface DecodedRange {
  /** The store revision the read saw. */
  readonly revision: number;
  readonly kvs: KeyValue[];
  /** More keys match than `limit` returned. */
  readonly more: boolean;
  /** Keys matching the range (etcd sets it on every range). */
  readonly count: number;
}

interface WireKeyValue {
  key: Buffer;
  createRevision: Long | number;
  modRevision: Long | number;
  version: Long | number;
  value: Buffer;
  lease: Long | number;
}

interface WireRange {
  header?: { revision: Long | number };
  kvs: WireKeyValue[];
  more: boolean;
  count: Long | number;
}

let rangeResponse: Type | undefined;

// etcd3's own proto files, so the wire format is the one its client speaks.
function responseType(): Type {
  rangeResponse ??= loadSync(require.resolve('etcd3/proto/rpc.proto')).lookupType('etcdserverpb.RangeResponse');
  return rangeResponse;
}

const toNumber = (v: Long | number): number => (typeof v === 'number' ? v : v.toNumber());

/**
 * Decodes a RangeResponse straight into {@link KeyValue}s. etcd3's decoder (proto-loader with
 * `longs: String`) turns every int64 into a decimal string, which `toKeyValue` turns back into a
 * number: at 1,000 keys that conversion was two thirds of the whole decode (CPU profile of
 * bench/src/scale/discovery.scale.ts's readiness). Here revisions go from protobufjs's Long
 * to a number directly, and lease ids (random 63-bit values, kept exact as strings) are
 * converted once per distinct lease in a response. Values are copied out of the response
 * buffer, so keeping one value does not keep the whole response alive.
 */
export function decodeRangeResponse(bytes: Buffer): DecodedRange {
  const wire = responseType().decode(bytes) as unknown as WireRange;
  const leases: LeaseIds = new Map();
  const kvs: KeyValue[] = new Array(wire.kvs.length);
  // A plain loop and no closures: this runs once per prefix read, and under tsx every closure
  // created gets its name set (keepNames), which cost more than the decode of a small read.
  for (let i = 0; i < kvs.length; i++) {
    const kv = wire.kvs[i]!;
    kvs[i] = {
      key: kv.key.toString('utf8'),
      value: Buffer.from(kv.value),
      createRevision: toNumber(kv.createRevision),
      modRevision: toNumber(kv.modRevision),
      version: toNumber(kv.version),
      lease: leaseId(kv.lease, leases),
    };
  }
  return { revision: toNumber(wire.header?.revision ?? 0), kvs, more: wire.more, count: toNumber(wire.count) };
}

/** Lease ids converted so far in one response, by low 32 bits. */
type LeaseIds = Map<number, { high: number; id: string }[]>;

function leaseId(v: Long | number, seen: LeaseIds): string {
  if (typeof v === 'number') return String(v);
  if (v.low === 0 && v.high === 0) return '0';
  let same = seen.get(v.low);
  if (!same) seen.set(v.low, (same = []));
  for (const s of same) if (s.high === v.high) return s.id;
  const id = v.toString();
  same.push({ high: v.high, id });
  return id;
}

type UnaryCallback = (error: Error | null, response?: DecodedRange) => void;

interface KvClient {
  range: { path: string; requestSerialize: (request: IRangeRequest) => Buffer };
  makeUnaryRequest(
    path: string,
    serialize: (request: IRangeRequest) => Buffer,
    deserialize: (bytes: Buffer) => DecodedRange,
    request: IRangeRequest,
    metadata: unknown,
    options: object,
    callback: UnaryCallback,
  ): unknown;
}

// etcd3 builds one KV client class (grpc-js makeClientConstructor) and an instance per member;
// the method is added to that class once (its presence is the mark): the range call with this
// module's decoder.
function install(client: Etcd3): void {
  const pool = poolOf(client) as unknown as { hosts: Array<{ getServiceClient(name: 'KV'): KvClient }> };
  const proto = Object.getPrototypeOf(pool.hosts[0]!.getServiceClient('KV')) as KvClient;
  if (RANGE_KEY_VALUES in proto) return;
  Object.defineProperty(proto, RANGE_KEY_VALUES, {
    value: function rangeKeyValues(this: KvClient, request: IRangeRequest, metadata: unknown, options: object, callback: UnaryCallback) {
      return this.makeUnaryRequest(this.range.path, this.range.requestSerialize, decodeRangeResponse, request, metadata, options, callback);
    },
  });
}

/**
 * `client.kv.range(request)` with the result decoded by {@link decodeRangeResponse}. Same
 * errors as `client.kv.range` (etcd3's typed gRPC errors).
 */
export function rangeKeyValues(client: Etcd3, request: IRangeRequest): Promise<DecodedRange> {
  install(client);
  return poolOf(client).exec<DecodedRange>('KV', RANGE_KEY_VALUES, request);
}
