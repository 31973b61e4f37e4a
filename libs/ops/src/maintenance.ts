import { etcdCall, type ClusterOps } from './cluster-ops';
import { OpsError } from './errors';
import { findMember, members, type MemberInfo } from './members';
import { clusterStatus } from './status';

/** What {@link defragment} did. */
export interface DefragmentResult {
  readonly member: string;
  readonly endpoint: string;
  /** DB size on disk before and after, in bytes. */
  readonly dbSizeBefore: number;
  readonly dbSizeAfter: number;
}

async function reachableUrl(ops: ClusterOps, member: MemberInfo): Promise<string> {
  const url = member.clientUrls[0];
  if (!url) throw new OpsError('OPS_ENDPOINT_UNREACHABLE', `member ${member.name || member.id} has no client URL (it has not started)`);
  return url;
}

/**
 * Defragments one member: rewrites its backend file to give back the space freed by
 * compaction. The member blocks reads and writes while it runs (seconds on a large database),
 * so do one member at a time, followers first.
 * @throws {OpsError} `OPS_MEMBER_NOT_FOUND`, `OPS_ENDPOINT_UNREACHABLE` (nothing was changed).
 */
export async function defragment(ops: ClusterOps, memberRef: string): Promise<DefragmentResult> {
  const member = findMember(await members(ops), memberRef);
  const endpoint = await reachableUrl(ops, member);
  const client = await ops.endpointClient(endpoint);
  const sizeOf = async (): Promise<number> => Number((await client.maintenance.status(ops.deadline())).dbSize);
  let before: number;
  try {
    before = await sizeOf();
  } catch (error) {
    throw new OpsError('OPS_ENDPOINT_UNREACHABLE', `member ${member.name || member.id} (${endpoint}) did not answer; nothing was changed`, { cause: error });
  }
  await etcdCall(`defragment ${member.name || member.id}`, () => client.maintenance.defragment(ops.deadline(ops.defragTimeoutMs)));
  return { member: member.name || member.id, endpoint, dbSizeBefore: before, dbSizeAfter: await sizeOf() };
}

/** Options for {@link compact}. */
export interface CompactOptions {
  /**
   * Wait until the compaction is applied to the backend on every member (etcdctl
   * `--physical`), so a following defragmentation frees the space. Default true.
   */
  readonly physical?: boolean;
}

/** What {@link compact} did. */
export interface CompactResult {
  /** Revisions before this one are gone. */
  readonly revision: number;
  /** The store's revision when it ran. */
  readonly currentRevision: number;
}

/**
 * Discards every key version older than `revision` (`'current'`: keep only the latest value of
 * each key). Watches and history reads from older revisions then fail with `ETCD_COMPACTED`;
 * the libraries here recover from that (re-list), other clients may not.
 * @throws {OpsError} `OPS_INVALID_ARGUMENT` for a revision that is not a positive integer or
 *   is in the future; `ETCD_COMPACTED` when it is already compacted.
 */
export async function compact(ops: ClusterOps, revision: number | 'current', options: CompactOptions = {}): Promise<CompactResult> {
  const header = await etcdCall('compact', () => ops.client.kv.range({ key: Buffer.from('\0'), limit: '1', keys_only: true }, ops.deadline()));
  const currentRevision = Number(header.header.revision);
  const target = revision === 'current' ? currentRevision : revision;
  if (!Number.isSafeInteger(target) || target < 1) throw new OpsError('OPS_INVALID_ARGUMENT', `revision must be a positive integer, got ${String(revision)}`);
  if (target > currentRevision) throw new OpsError('OPS_INVALID_ARGUMENT', `revision ${target} is in the future (the store is at ${currentRevision}); nothing was compacted`);
  await etcdCall(`compact to ${target}`, () => ops.client.kv.compact({ revision: String(target), physical: options.physical ?? true }, ops.deadline(ops.defragTimeoutMs)));
  return { revision: target, currentRevision };
}

/** What {@link moveLeader} did. */
export interface MoveLeaderResult {
  readonly from: string;
  readonly to: string;
}

/**
 * Hands leadership to another voting member (before maintenance of the leader's machine, so
 * the cluster does not wait out an election timeout).
 * @throws {OpsError} `OPS_MEMBER_NOT_FOUND`, `OPS_UNSAFE` (target is a learner or not
 *   started), `OPS_ENDPOINT_UNREACHABLE` (no reachable leader).
 */
export async function moveLeader(ops: ClusterOps, targetRef: string): Promise<MoveLeaderResult> {
  const list = await members(ops);
  const target = findMember(list, targetRef);
  if (target.isLearner || target.status !== 'started') {
    throw new OpsError('OPS_UNSAFE', `member ${target.name || target.id} is ${target.isLearner ? 'a learner' : 'not started'}; only a started voting member can lead`);
  }
  const leader = (await clusterStatus(ops)).find((s) => s.ok && s.isLeader);
  if (!leader || !leader.ok) throw new OpsError('OPS_ENDPOINT_UNREACHABLE', 'no reachable member reports itself leader; nothing was changed');
  const from = list.find((m) => m.id === leader.memberId);
  if (leader.memberId === target.id) return { from: target.name || target.id, to: target.name || target.id };
  const client = await ops.endpointClient(leader.endpoint);
  await etcdCall('move leader', () => client.maintenance.moveLeader({ targetID: BigInt(`0x${target.id}`).toString() }, ops.deadline(ops.defragTimeoutMs)));
  return { from: from?.name || leader.memberId, to: target.name || target.id };
}
