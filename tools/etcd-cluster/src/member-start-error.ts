/** Why a member of a test cluster failed to start. */
export type MemberStartFailure =
  /** The process exited before it answered on its client URL. */
  | 'exited'
  /** It did not answer on its client URL in time. */
  | 'not-listening'
  /** The members started, but no leader was elected in time. */
  | 'no-leader';

/**
 * A cluster member (or the cluster) failed to start. The message carries the tail of the
 * member's log; the log and the data directory are kept at {@link logFile}'s folder.
 */
export class EtcdMemberStartError extends Error {
  /** Stable error code. */
  readonly code = 'ETCD_MEMBER_START_FAILED';

  constructor(
    /** Member name, or `cluster` for `no-leader`. */
    readonly member: string,
    /** What went wrong. */
    readonly failure: MemberStartFailure,
    /** The last lines etcd printed. */
    readonly logTail: string,
    /** Where the whole log is kept. */
    readonly logFile: string,
    summary: string,
  ) {
    super(`${summary}; log kept at ${logFile}; its last lines:\n${indent(logTail || '(etcd printed nothing)')}`);
    this.name = 'EtcdMemberStartError';
  }

  /** The member could not bind one of its ports (another process took it first). */
  get addressInUse(): boolean {
    return /address already in use/i.test(this.logTail);
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
