import { isEtcdPatternsError, toEtcdError } from '@etcd-patterns/etcd';
import { alarms, type AlarmInfo } from './alarms';
import type { ClusterOps } from './cluster-ops';
import { endpointsToProbe, endpointStatus, type EndpointScopeOptions } from './status';

/** One endpoint's health, like a row of `etcdctl endpoint health`. */
export interface EndpointHealth {
  readonly endpoint: string;
  readonly name?: string;
  /** It answered a linearizable read (so it has a leader and a quorum) and has no alarm. */
  readonly healthy: boolean;
  /** Round trip of the read, in ms (absent when it did not answer). */
  readonly tookMs?: number;
  /** Why it is unhealthy. */
  readonly error?: { readonly code: string; readonly message: string };
  /** Alarms raised by this member. */
  readonly alarms: readonly AlarmInfo['alarm'][];
}

/**
 * Probes every endpoint in parallel with a linearizable read of the key `health` (as etcdctl
 * does; "permission denied" still proves the member serves requests) and marks members with an
 * active alarm unhealthy, as etcd's own `/health` does. Never throws for an unreachable endpoint.
 */
export async function clusterHealth(ops: ClusterOps, options: EndpointScopeOptions = {}): Promise<EndpointHealth[]> {
  const targets = await endpointsToProbe(ops, options);
  const active = await alarms(ops).catch(() => [] as AlarmInfo[]);
  return Promise.all(
    targets.map(async ({ endpoint, name }): Promise<EndpointHealth> => {
      const base = { endpoint, ...(name ? { name } : {}) };
      const started = performance.now();
      try {
        const client = await ops.endpointClient(endpoint);
        try {
          await client.get('health').options(ops.deadline()).exec();
        } catch (error) {
          const e = toEtcdError(error, endpoint);
          if (!isEtcdPatternsError(e, 'ETCD_PERMISSION_DENIED')) throw e;
        }
        const tookMs = Math.round((performance.now() - started) * 10) / 10;
        const status = await endpointStatus(ops, endpoint, name);
        const mine = status.ok ? active.filter((a) => a.memberId === status.memberId).map((a) => a.alarm) : [];
        if (mine.length > 0) {
          return { ...base, healthy: false, tookMs, alarms: mine, error: { code: mine.includes('CORRUPT') ? 'ETCD_CORRUPT' : 'ETCD_NOSPACE', message: `alarm raised: ${mine.join(', ')}` } };
        }
        return { ...base, healthy: true, tookMs, alarms: [] };
      } catch (error) {
        const e = toEtcdError(error, endpoint);
        return { ...base, healthy: false, alarms: [], error: { code: e.code, message: e.message } };
      }
    }),
  );
}
