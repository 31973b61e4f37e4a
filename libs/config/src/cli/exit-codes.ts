import { EtcdPatternsError } from '@etcd-patterns/etcd';

/** epctl's exit codes (also listed in `epctl --help`). */
export const EXIT = {
  ok: 0,
  /** Anything unexpected. */
  internal: 1,
  /** Bad command line. */
  usage: 2,
  /** Bad YAML/JSON, invalid document, schema violation, bad namespace. */
  invalid: 3,
  /** Someone published since --base-version. */
  conflict: 4,
  /** Wrong credentials or permission denied. */
  auth: 5,
  /** etcd unreachable or too slow. */
  unavailable: 6,
  /** No such namespace content or version. */
  notFound: 7,
  /** The user answered no to a confirmation; nothing was written. */
  declined: 8,
} as const;

const BY_CODE: Record<string, number> = {
  CONFIG_INVALID_NAMESPACE: EXIT.invalid,
  CONFIG_INVALID_DOCUMENT: EXIT.invalid,
  CONFIG_VALIDATION_FAILED: EXIT.invalid,
  ETCD_INVALID_CONFIG: EXIT.usage,
  ETCD_INVALID_ARGUMENT: EXIT.invalid,
  CONFIG_CONFLICT: EXIT.conflict,
  ETCD_AUTH_FAILED: EXIT.auth,
  ETCD_PERMISSION_DENIED: EXIT.auth,
  ETCD_UNAVAILABLE: EXIT.unavailable,
  ETCD_DEADLINE_EXCEEDED: EXIT.unavailable,
  CONFIG_NOT_FOUND: EXIT.notFound,
};

/** The exit code for an error. */
export function exitCodeOf(error: unknown): number {
  return error instanceof EtcdPatternsError ? (BY_CODE[error.code] ?? EXIT.internal) : EXIT.internal;
}

/** Help text listing the exit codes. */
export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  unexpected error
  2  bad command line or client options
  3  invalid input: YAML/JSON syntax (with line:column), not a config document, schema violation
  4  conflict: the namespace is no longer at --base-version
  5  authentication failed or permission denied
  6  etcd unreachable or too slow
  7  not found (nothing published, no such version)
  8  declined: answered no when asked to confirm; nothing was written`;
