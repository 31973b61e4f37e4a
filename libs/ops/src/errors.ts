import { EtcdPatternsError } from '@etcd-patterns/etcd';

/**
 * Error codes of cluster operations, on top of the `ETCD_*` codes of `@etcd-patterns/etcd`
 * (which pass through unchanged: `ETCD_UNAVAILABLE`, `ETCD_NOSPACE`, `ETCD_CORRUPT`,
 * `ETCD_PERMISSION_DENIED`, ...). Match on these, never on message text.
 *
 * - `OPS_MEMBER_NOT_FOUND`: no member has that name, id or URL; nothing was changed.
 * - `OPS_ENDPOINT_UNREACHABLE`: the one member an operation must talk to (defragment, move
 *   leader) did not answer, or a backup's snapshot stream stalled; nothing was changed (retryable).
 * - `OPS_SNAPSHOT_INVALID`: a snapshot file is truncated, corrupt or fails its SHA-256 or
 *   bbolt checks; it must not be restored.
 * - `OPS_TOOL_MISSING`: etcd's own restore tool (`etcdutl`, or `etcdctl` on etcd 3.4) is not
 *   installed or not on PATH.
 * - `OPS_RESTORE_FAILED`: the restore tool ran and failed; its output is in the message.
 * - `OPS_INVALID_ARGUMENT`: a bad argument (revision, interval, path) rejected before any call.
 * - `OPS_LEARNER_NOT_READY`: etcd refused to promote a learner that has not caught up with the
 *   leader yet (retryable).
 * - `OPS_CLUSTER_UNHEALTHY`: etcd refused a membership change because a voting member is not
 *   connected (or connected less than 5 s ago); remove a dead member first, or retry (retryable).
 * - `OPS_UNSAFE`: the operation would break the cluster (remove the last member, promote a
 *   voter, move leadership to a learner) and was refused before any call.
 */
export type OpsErrorCode =
  | 'OPS_MEMBER_NOT_FOUND'
  | 'OPS_ENDPOINT_UNREACHABLE'
  | 'OPS_SNAPSHOT_INVALID'
  | 'OPS_TOOL_MISSING'
  | 'OPS_RESTORE_FAILED'
  | 'OPS_INVALID_ARGUMENT'
  | 'OPS_LEARNER_NOT_READY'
  | 'OPS_CLUSTER_UNHEALTHY'
  | 'OPS_UNSAFE';

const RETRYABLE: ReadonlySet<OpsErrorCode> = new Set(['OPS_ENDPOINT_UNREACHABLE', 'OPS_LEARNER_NOT_READY', 'OPS_CLUSTER_UNHEALTHY']);

/** Base class of the operations library's own errors. */
export class OpsError extends EtcdPatternsError {
  constructor(code: OpsErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { ...options, retryable: RETRYABLE.has(code) });
  }
}
