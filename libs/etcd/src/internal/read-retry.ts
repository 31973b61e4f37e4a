import { GRPCDeadlineExceededError, type ICallable } from 'etcd3';
import { toEtcdError } from '../grpc-errors';
import { RANGE_KEY_VALUES } from './decoded-range';

type Exec = ICallable<unknown>['exec'];

const READ_ONLY = new Set([
  'KV.range',
  `KV.${RANGE_KEY_VALUES}`,
  'Lease.leaseTimeToLive',
  'Lease.leaseLeases',
  'Cluster.memberList',
  'Maintenance.status',
  'Auth.userGet',
  'Auth.userList',
  'Auth.roleGet',
  'Auth.roleList',
]);

interface TxnLike {
  success?: Array<{ request_range?: unknown }>;
  failure?: Array<{ request_range?: unknown }>;
}

function isReadOnly(service: string, method: string, payload: unknown): boolean {
  if (READ_ONLY.has(`${service}.${method}`)) return true;
  if (service !== 'KV' || method !== 'txn') return false;
  const txn = payload as TxnLike;
  return [...(txn.success ?? []), ...(txn.failure ?? [])].every((op) => op.request_range !== undefined);
}

// grpc-js fails a call with this when the member's channel has no connection at all (refused,
// down): the request was never sent, so even a write can safely go to another member.
const NEVER_SENT = /No connection established/;

/**
 * Makes etcd3's connection pool retry read-only calls (on another member) when a member is
 * unreachable, and never retry anything else: a write that failed with UNAVAILABLE may have
 * been applied, so only the caller, who knows whether it is idempotent, may repeat it. The one
 * exception is a call grpc-js never sent ("No connection established": the member is down),
 * which is retried on another member whatever it is.
 * etcd3's own default retries every call three times, writes included.
 *
 * A read that timed out is retried only while no more members timed out than a cluster of
 * `members` can lose and keep a quorum (1 of 3, 2 of 5): each such retry costs a whole
 * deadline, and once that many members stayed silent the cluster cannot answer anyway. So with
 * every member frozen a read fails after 2 deadlines (3 members), not after one per attempt.
 */
export function installReadRetry(pool: ICallable<unknown>, attempts: number, members = attempts - 1): void {
  const toleratedTimeouts = Math.max(1, Math.floor((members - 1) / 2));
  const exec: Exec = pool.exec.bind(pool);
  const wrapped = async function <T>(
    service: Parameters<Exec>[0],
    method: string,
    payload: unknown,
    options?: Parameters<Exec>[3],
  ): Promise<T> {
    const retries = isReadOnly(String(service), method, payload) ? attempts - 1 : 0;
    let timeouts = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        return await exec<T>(service, method, payload, options);
      } catch (error) {
        const neverSent = attempt < attempts - 1 && NEVER_SENT.test(error instanceof Error ? error.message : '');
        if (error instanceof GRPCDeadlineExceededError && ++timeouts > toleratedTimeouts) throw error;
        if (!neverSent && (attempt >= retries || !toEtcdError(error).retryable)) throw error;
      }
    }
  };
  Object.defineProperty(pool, 'exec', { value: wrapped, configurable: true, writable: true });
}
