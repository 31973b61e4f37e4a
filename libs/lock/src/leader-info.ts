import type { KeyValue } from '@etcd-patterns/etcd';

/** The current leader of an election, as stored in etcd. */
export interface LeaderInfo {
  /** The leader key, `NAME/<lease hex>`. */
  readonly key: string;
  /** The proclaimed value (UTF-8). */
  readonly value: string;
  /** Create revision of the key: the leader's fencing token. */
  readonly createRevision: number;
  /** Revision of the last proclamation. */
  readonly modRevision: number;
  /** The leader's lease id (decimal string). */
  readonly leaseId: string;
}

/** One item of `Election.observe()`. */
export interface LeaderChange {
  /** The leader after the change; `undefined` when there is no candidate at all. */
  readonly leader: LeaderInfo | undefined;
  /** The etcd revision at which this was the state. */
  readonly revision: number;
}

/** @internal */
export function toLeaderInfo(kv: KeyValue): LeaderInfo {
  return {
    key: kv.key,
    value: kv.value.toString('utf8'),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    leaseId: kv.lease,
  };
}
