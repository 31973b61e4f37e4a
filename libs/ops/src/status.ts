import { toEtcdError } from '@etcd-patterns/etcd';
import { normalizeEndpoint, type ClusterOps } from './cluster-ops';
import { memberIdHex, members } from './members';

/** What an endpoint reported, like one row of `etcdctl endpoint status`. */
export interface EndpointStatusOk {
  readonly endpoint: string;
  readonly ok: true;
  /** Member id (hex) of the member behind the endpoint. */
  readonly memberId: string;
  /** Member name, when the member list was available. */
  readonly name?: string;
  /** etcd server version. */
  readonly version: string;
  /** Backend database size on disk, in bytes. */
  readonly dbSize: number;
  /** Bytes of it in use; `dbSize - dbSizeInUse` is what a defragmentation would free. */
  readonly dbSizeInUse: number;
  /** Member id (hex) of the leader this member knows. */
  readonly leaderId: string;
  /** Whether this member is the leader. */
  readonly isLeader: boolean;
  readonly isLearner: boolean;
  readonly raftTerm: number;
  readonly raftIndex: number;
  readonly raftAppliedIndex: number;
  /** Errors the member reports about itself (e.g. an active alarm). */
  readonly errors: readonly string[];
  /** Round trip of the status call, in ms. */
  readonly tookMs: number;
}

/** An endpoint that did not answer; reported, never thrown. */
export interface EndpointStatusFailed {
  readonly endpoint: string;
  readonly ok: false;
  readonly name?: string;
  readonly error: { readonly code: string; readonly message: string };
}

/** One endpoint's status. */
export type EndpointStatus = EndpointStatusOk | EndpointStatusFailed;

/** Options for {@link clusterStatus} and {@link clusterHealth}. */
export interface EndpointScopeOptions {
  /**
   * `cluster` (default): every member's client URL from the member list, plus the configured
   * endpoints (so a member missing from the list still shows); when the member list cannot be
   * read, the configured endpoints. `endpoints`: only the configured ones, like etcdctl
   * without `--cluster`.
   */
  readonly scope?: 'cluster' | 'endpoints';
}

/** The endpoints to probe, with the member name behind each when known. */
export async function endpointsToProbe(ops: ClusterOps, options: EndpointScopeOptions = {}): Promise<Array<{ endpoint: string; name?: string }>> {
  const configured = ops.endpoints.map((endpoint) => ({ endpoint }));
  if (options.scope === 'endpoints') return configured;
  let list;
  try {
    list = await members(ops);
  } catch {
    return configured;
  }
  const seen = new Set<string>();
  const out: Array<{ endpoint: string; name?: string }> = [];
  for (const m of list) {
    const url = m.clientUrls[0];
    if (!url || seen.has(normalizeEndpoint(url))) continue;
    seen.add(normalizeEndpoint(url));
    out.push({ endpoint: url, name: m.name || undefined });
  }
  for (const c of configured) if (!seen.has(normalizeEndpoint(c.endpoint))) out.push(c);
  return out;
}

/**
 * Every endpoint's version, DB size and size in use, leader, raft term, index and applied
 * index, errors and learner flag, probed in parallel. An unreachable endpoint is one row with
 * `ok: false`; it never fails the whole call.
 */
export async function clusterStatus(ops: ClusterOps, options: EndpointScopeOptions = {}): Promise<EndpointStatus[]> {
  const targets = await endpointsToProbe(ops, options);
  return Promise.all(targets.map((t) => endpointStatus(ops, t.endpoint, t.name)));
}

/** The status of one endpoint (`ok: false` when it does not answer in the probe deadline). */
export async function endpointStatus(ops: ClusterOps, endpoint: string, name?: string): Promise<EndpointStatus> {
  const started = performance.now();
  try {
    const client = await ops.endpointClient(endpoint);
    const s = await client.maintenance.status(ops.deadline());
    const memberId = memberIdHex(s.header.member_id);
    const leaderId = memberIdHex(s.leader);
    return {
      endpoint,
      ok: true,
      memberId,
      ...(name ? { name } : {}),
      version: s.version,
      dbSize: Number(s.dbSize),
      dbSizeInUse: Number(s.dbSizeInUse),
      leaderId,
      isLeader: leaderId === memberId,
      isLearner: Boolean(s.isLearner),
      raftTerm: Number(s.raftTerm),
      raftIndex: Number(s.raftIndex),
      raftAppliedIndex: Number(s.raftAppliedIndex),
      errors: [...(s.errors ?? [])],
      tookMs: Math.round((performance.now() - started) * 10) / 10,
    };
  } catch (error) {
    const e = toEtcdError(error, endpoint);
    return { endpoint, ok: false, ...(name ? { name } : {}), error: { code: e.code, message: e.message } };
  }
}
