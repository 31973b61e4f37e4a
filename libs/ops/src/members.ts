import type { IMember } from 'etcd3';
import { etcdCall, normalizeEndpoint, type ClusterOps } from './cluster-ops';
import { OpsError } from './errors';

/** One cluster member, as `etcdctl member list` shows it. */
export interface MemberInfo {
  /** Member id in hex, as etcdctl prints it (e.g. `8e9e05c52164694d`). */
  readonly id: string;
  /** Name; empty until a newly added member has started. */
  readonly name: string;
  /** `started` once the member has joined and published its name, else `unstarted`. */
  readonly status: 'started' | 'unstarted';
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  /** A learner receives the log but does not vote; promote it once it has caught up. */
  readonly isLearner: boolean;
}

/**
 * Runs a membership change; etcd's "unhealthy cluster" refusal (strict reconfiguration check:
 * every voting member must have been connected for 5 s) becomes `OPS_CLUSTER_UNHEALTHY`.
 */
async function reconfigure<T>(context: string, call: () => Promise<T>): Promise<T> {
  try {
    return await etcdCall(context, call);
  } catch (error) {
    if (/unhealthy cluster|not enough started members/i.test((error as Error).message)) {
      throw new OpsError(
        'OPS_CLUSTER_UNHEALTHY',
        `${context}: etcd refuses membership changes until every voting member has been connected for 5 s (remove a dead member first, or retry); nothing was changed`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** Converts etcd's decimal uint64 id to etcdctl's hex form. */
export function memberIdHex(decimal: string | number | bigint): string {
  return BigInt(decimal).toString(16);
}

function toMemberInfo(m: IMember): MemberInfo {
  return {
    id: memberIdHex(m.ID),
    name: m.name,
    status: m.name === '' && m.clientURLs.length === 0 ? 'unstarted' : 'started',
    peerUrls: [...m.peerURLs],
    clientUrls: [...m.clientURLs],
    isLearner: Boolean(m.isLearner),
  };
}

/**
 * Lists the members (a linearizable read through the leader). The read is retried on another
 * member when one does not answer, so its deadline spans three probe deadlines.
 */
export async function members(ops: ClusterOps): Promise<MemberInfo[]> {
  const res = await etcdCall('member list', () => ops.client.cluster.memberList({ linearizable: true }, ops.deadline(ops.probeTimeoutMs * 3)));
  return res.members.map(toMemberInfo);
}

/**
 * Finds a member by name, hex id, decimal id, or one of its client or peer URLs.
 * @throws {OpsError} `OPS_MEMBER_NOT_FOUND` listing the members there are.
 */
export function findMember(list: readonly MemberInfo[], ref: string): MemberInfo {
  const wanted = ref.trim();
  const url = normalizeEndpoint(wanted);
  const match = list.find(
    (m) =>
      (m.name !== '' && m.name === wanted) ||
      m.id === wanted.toLowerCase() ||
      (/^\d+$/.test(wanted) && m.id === memberIdHex(wanted)) ||
      [...m.clientUrls, ...m.peerUrls].some((u) => normalizeEndpoint(u) === url),
  );
  if (!match) {
    const known = list.map((m) => `${m.name || '(unstarted)'} ${m.id}`).join(', ');
    throw new OpsError('OPS_MEMBER_NOT_FOUND', `no member is named or has the id or URL "${ref}"; the members are: ${known || 'none'}`);
  }
  return match;
}

/** What {@link addMember} returns: the new member and how to start it. */
export interface AddedMember {
  readonly member: MemberInfo;
  /** `--initial-cluster` for the new member's first start (every member, the new one as `name`). */
  readonly initialCluster: string;
  /** Always `existing`: the new member joins a running cluster. */
  readonly initialClusterState: 'existing';
}

/** Options for {@link addMember}. */
export interface AddMemberOptions {
  /** The name the new member will be started with (`--name`). */
  readonly name: string;
  /** Its peer URLs (`--initial-advertise-peer-urls`). */
  readonly peerUrls: readonly string[];
  /**
   * Add it as a learner (default true, as etcd recommends): it catches up without counting
   * towards the quorum, so a slow or broken new member cannot stall writes. Promote it with
   * {@link promoteMember} once it is in sync.
   */
  readonly learner?: boolean;
}

/**
 * Adds a member (a learner by default) and returns the `--initial-cluster` it must be started
 * with. Start the new etcd with `--initial-cluster-state existing`.
 * @throws {OpsError} `OPS_INVALID_ARGUMENT` for a missing name or URL, or a URL already in use.
 */
export async function addMember(ops: ClusterOps, options: AddMemberOptions): Promise<AddedMember> {
  const name = options.name.trim();
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new OpsError('OPS_INVALID_ARGUMENT', `member name "${options.name}" must be letters, digits, '.', '_' or '-'`);
  if (options.peerUrls.length === 0 || options.peerUrls.some((u) => !/^https?:\/\/[^\s/]+:\d+$/.test(u))) {
    throw new OpsError('OPS_INVALID_ARGUMENT', `peer URLs must be http(s)://host:port, got: ${options.peerUrls.join(', ') || 'none'}`);
  }
  const before = await members(ops);
  const taken = before.find((m) => m.name === name || m.peerUrls.some((u) => options.peerUrls.includes(u)));
  if (taken) throw new OpsError('OPS_INVALID_ARGUMENT', `member ${taken.name || taken.id} already has that name or peer URL; nothing was changed`);
  const res = await reconfigure('member add', () =>
    ops.client.cluster.memberAdd({ peerURLs: [...options.peerUrls], isLearner: options.learner ?? true }, ops.deadline()),
  );
  const added = { ...toMemberInfo(res.member), name };
  const all = res.members.map(toMemberInfo);
  const initialCluster = all
    .flatMap((m) => (m.id === added.id ? m.peerUrls.map((u) => `${name}=${u}`) : m.name === '' ? [] : m.peerUrls.map((u) => `${m.name}=${u}`)))
    .join(',');
  return { member: added, initialCluster, initialClusterState: 'existing' };
}

/**
 * Removes a member. Refuses to remove the only member.
 * @throws {OpsError} `OPS_MEMBER_NOT_FOUND`, `OPS_UNSAFE`; etcd's own refusal (not enough
 *   started members for a safe reconfiguration) comes as its `ETCD_*` error.
 */
export async function removeMember(ops: ClusterOps, ref: string): Promise<MemberInfo> {
  const list = await members(ops);
  const target = findMember(list, ref);
  if (list.length === 1) throw new OpsError('OPS_UNSAFE', `member ${target.name || target.id} is the only member; removing it would destroy the cluster`);
  await reconfigure('member remove', () => ops.client.cluster.memberRemove({ ID: BigInt(`0x${target.id}`).toString() }, ops.deadline()));
  return target;
}

/**
 * Promotes a learner to a voting member. etcd refuses while the learner lags the leader's log;
 * that refusal is `OPS_LEARNER_NOT_READY` (retryable: try again once it has caught up).
 * @throws {OpsError} `OPS_MEMBER_NOT_FOUND`, `OPS_UNSAFE` (not a learner), `OPS_LEARNER_NOT_READY`.
 */
export async function promoteMember(ops: ClusterOps, ref: string): Promise<MemberInfo> {
  const target = findMember(await members(ops), ref);
  if (!target.isLearner) throw new OpsError('OPS_UNSAFE', `member ${target.name || target.id} is already a voting member`);
  try {
    await etcdCall('member promote', () => ops.client.cluster.memberPromote({ ID: BigInt(`0x${target.id}`).toString() }, ops.deadline()));
  } catch (error) {
    if (/not in sync|learner member which is in sync|ready/i.test(String((error as Error).message))) {
      throw new OpsError('OPS_LEARNER_NOT_READY', `learner ${target.name || target.id} has not caught up with the leader yet; try again shortly`, { cause: error });
    }
    throw error;
  }
  return { ...target, isLearner: false };
}
