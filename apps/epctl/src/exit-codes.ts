import { EtcdPatternsError } from '@etcd-patterns/etcd';

/**
 * epctl's exit codes, the one table (listed in `epctl --help` by {@link EXIT_CODES_HELP}).
 * Existing numbers never change meaning: scripts test them.
 */
export const EXIT = {
  ok: 0,
  /** Anything unexpected; a restore that failed. */
  internal: 1,
  /** Bad command line or client options. */
  usage: 2,
  /** Bad YAML/JSON, invalid document, schema violation, bad namespace, invalid snapshot, refused as unsafe. */
  invalid: 3,
  /** Someone published since --base-version; another `access apply` changed users and roles under this one. */
  conflict: 4,
  /** Wrong credentials (password or TLS certificate) or permission denied. */
  auth: 5,
  /** etcd unreachable or too slow. */
  unavailable: 6,
  /** No such namespace content, version or member. */
  notFound: 7,
  /** The user answered no to a confirmation; nothing was written. */
  declined: 8,
  /** The cluster is out of space (NOSPACE alarm): only reads and deletes work until it is fixed. */
  noSpace: 9,
  /** A member is corrupt (CORRUPT alarm). */
  corrupt: 10,
  /** A required etcd tool (etcdctl, etcdutl) is not installed. */
  toolMissing: 11,
} as const;

/**
 * Error code (`EtcdPatternsError.code`) to exit code. By string, so the CLI needs no import of
 * the library that throws it (`OPS_*` come from `@etcd-patterns/ops`). Unlisted codes exit 1.
 */
const BY_CODE: Readonly<Record<string, number>> = {
  CONFIG_INVALID_NAMESPACE: EXIT.invalid,
  CONFIG_INVALID_DOCUMENT: EXIT.invalid,
  CONFIG_VALIDATION_FAILED: EXIT.invalid,
  ETCD_INVALID_CONFIG: EXIT.usage,
  ETCD_INVALID_ARGUMENT: EXIT.invalid,
  CONFIG_CONFLICT: EXIT.conflict,
  CONFIG_ACCESS_CONFLICT: EXIT.conflict,
  ETCD_AUTH_FAILED: EXIT.auth,
  ETCD_AUTH_NOT_ENABLED: EXIT.auth,
  ETCD_TLS_FAILED: EXIT.auth,
  CONFIG_ACCESS_UNSAFE: EXIT.invalid,
  ETCD_PERMISSION_DENIED: EXIT.auth,
  ETCD_UNAVAILABLE: EXIT.unavailable,
  ETCD_DEADLINE_EXCEEDED: EXIT.unavailable,
  CONFIG_NOT_FOUND: EXIT.notFound,
  ETCD_NOSPACE: EXIT.noSpace,
  ETCD_CORRUPT: EXIT.corrupt,
  OPS_SNAPSHOT_INVALID: EXIT.invalid,
  OPS_MEMBER_NOT_FOUND: EXIT.notFound,
  OPS_ENDPOINT_UNREACHABLE: EXIT.unavailable,
  OPS_TOOL_MISSING: EXIT.toolMissing,
  OPS_RESTORE_FAILED: EXIT.internal,
  OPS_INVALID_ARGUMENT: EXIT.usage,
  OPS_UNSAFE: EXIT.invalid,
  OPS_LEARNER_NOT_READY: EXIT.unavailable,
  OPS_CLUSTER_UNHEALTHY: EXIT.unavailable,
};

/** The exit code for an error: by its `code` for an `EtcdPatternsError`, else 1. */
export function exitCodeOf(error: unknown): number {
  return error instanceof EtcdPatternsError ? (BY_CODE[error.code] ?? EXIT.internal) : EXIT.internal;
}

/** Help text listing the exit codes. */
export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  unexpected error, or a restore that failed
  2  bad command line or client options
  3  invalid input: YAML/JSON syntax (with line:column), not a config document, schema violation,
     invalid snapshot; or refused as unsafe (an access plan that would lock you out)
  4  conflict: the namespace is no longer at --base-version; access apply raced another one (run it again)
  5  authentication failed (password, or TLS: certificate not trusted, rejected, expired, wrong name) or permission denied
  6  etcd unreachable or too slow; an endpoint down or unhealthy (cluster status|health still print every row);
     a reconfiguration etcd refused for now (learner not caught up, a voter not connected)
  7  not found (nothing published, no such version, no such member)
  8  declined: answered no when asked to confirm; nothing was written
  9  cluster out of space (NOSPACE alarm)
  10 a member is corrupt (CORRUPT alarm)
  11 a required etcd tool is missing`;
