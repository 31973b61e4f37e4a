import { EtcdPatternsError } from '@etcd-patterns/etcd';

/**
 * Error codes of the configuration center, on top of the `ETCD_*` codes of
 * `@etcd-patterns/etcd` (which pass through unchanged: `ETCD_PERMISSION_DENIED`,
 * `ETCD_AUTH_FAILED`, `ETCD_UNAVAILABLE`, ...). Match on these, never on message text.
 *
 * - `CONFIG_INVALID_NAMESPACE`: a namespace or root prefix is malformed.
 * - `CONFIG_INVALID_DOCUMENT`: not a publishable document (not an object, a key that cannot be
 *   stored, a value JSON cannot represent), or YAML/JSON that does not parse.
 * - `CONFIG_VALIDATION_FAILED`: the document does not match the schema ({@link ConfigValidationError}).
 * - `CONFIG_CONFLICT`: someone published since the base version ({@link ConfigConflictError}).
 * - `CONFIG_NOT_FOUND`: nothing is published in the namespace, or the asked version does not exist.
 * - `CONFIG_CORRUPT`: a stored record (meta, history, leaf, schema) cannot be read back.
 * - `CONFIG_NOT_READY`: `HotConfig.current` was read before the first valid value arrived.
 * - `CONFIG_CLOSED`: the hot config was closed.
 * - `CONFIG_LISTENER_FAILED`: a subscriber threw (reported, never propagated).
 * - `CONFIG_OUT_OF_BAND`: the live keys were written without `publish` and the hot config was
 *   told to refuse such changes (`outOfBand: 'reject'`).
 * - `CONFIG_TOO_LARGE`: a publish (or rollback) would send etcd a transaction larger than the
 *   server's `--max-request-bytes` ({@link ConfigTooLargeError}); refused before sending, or
 *   refused by etcd when its limit is lower than the `maxRequestBytes` option. Nothing is written.
 * - `CONFIG_ACCESS_UNSAFE`: an access plan was refused because it would lock the operator out
 *   (enable auth without a known root password, remove or demote root or the applying user).
 * - `CONFIG_ACCESS_CONFLICT`: etcd's users and roles changed while an access plan was applied
 *   (another `access apply` ran at the same time): the plan stopped at that step. Plan again.
 */
export type ConfigErrorCode =
  | 'CONFIG_INVALID_NAMESPACE'
  | 'CONFIG_INVALID_DOCUMENT'
  | 'CONFIG_VALIDATION_FAILED'
  | 'CONFIG_CONFLICT'
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_CORRUPT'
  | 'CONFIG_NOT_READY'
  | 'CONFIG_CLOSED'
  | 'CONFIG_LISTENER_FAILED'
  | 'CONFIG_OUT_OF_BAND'
  | 'CONFIG_ACCESS_UNSAFE'
  | 'CONFIG_ACCESS_CONFLICT'
  | 'CONFIG_TOO_LARGE';

/** Base class of the configuration center's own errors (never retryable). */
export class ConfigError extends EtcdPatternsError {
  constructor(code: ConfigErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { ...options, retryable: false });
  }
}

/** One schema violation: where (`path`, slash-separated like the etcd keys) and what. */
export interface ConfigIssue {
  /** Path of the offending setting, e.g. `server/port`; `''` for the document itself. */
  readonly path: string;
  /** What is wrong. */
  readonly message: string;
  /** Where, in the file it was read from: `file:line:column` (epctl). */
  readonly at?: string;
}

/**
 * A document (published, or found in etcd by a watcher) failed schema validation.
 * Code `CONFIG_VALIDATION_FAILED`.
 */
export class ConfigValidationError extends ConfigError {
  constructor(
    /** Every violation found. */
    readonly issues: readonly ConfigIssue[],
    /** What was validated, e.g. `config prod/greeter does not match its schema`. */
    readonly context: string,
    /** The config version the document claims (0 when unknown or out-of-band). */
    readonly version = 0,
    /** The etcd revision at which the document was seen (0 when not from etcd). */
    readonly revision = 0,
    options: { cause?: unknown } = {},
  ) {
    super('CONFIG_VALIDATION_FAILED', `${context}: ${issues.map((i) => `${i.path || '(document)'}${i.at ? ` (${i.at})` : ''}: ${i.message}`).join('; ')}`, options);
  }
}

/**
 * A publish was refused because the namespace's current version is not the base version.
 * Code `CONFIG_CONFLICT`; fetch `currentVersion`, merge, and publish again.
 */
export class ConfigConflictError extends ConfigError {
  constructor(
    /** The version the publisher based its change on. */
    readonly baseVersion: number,
    /** The version that is live now. */
    readonly currentVersion: number,
    namespace: string,
  ) {
    super('CONFIG_CONFLICT', `config ${namespace} is at version ${currentVersion}, not at the base version ${baseVersion}`);
  }
}

/**
 * A publish was refused because its transaction is larger than etcd accepts. Code
 * `CONFIG_TOO_LARGE`. Nothing was written: either the size check refused it before sending
 * (`refusedBy: 'client'`, the usual case), or etcd refused the whole transaction
 * (`refusedBy: 'etcd'`: the server's `--max-request-bytes` is lower than the `maxRequestBytes`
 * option said). A publish writes each changed setting and the full document (its history
 * record), so the first publish of a document sends about twice its size. Shrink the document,
 * split it over namespaces, or raise `--max-request-bytes` on every member (and the option).
 */
export class ConfigTooLargeError extends ConfigError {
  constructor(
    /** `env/app`. */
    readonly namespace: string,
    /** Encoded size of the transaction that was (or would have been) sent. */
    readonly requestBytes: number,
    /** The limit applied: `maxRequestBytes` less the request overhead. */
    readonly limitBytes: number,
    /** Who refused it: the size check before sending, or etcd. */
    readonly refusedBy: 'client' | 'etcd',
    options: { cause?: unknown } = {},
  ) {
    super(
      'CONFIG_TOO_LARGE',
      refusedBy === 'client'
        ? `publishing ${namespace} needs a ${requestBytes}-byte transaction (the changed settings plus the full document for its history record); etcd accepts at most ${limitBytes} (--max-request-bytes less overhead): nothing was sent`
        : `publishing ${namespace}: etcd refused the ${requestBytes}-byte transaction as too large (its --max-request-bytes is below the maxRequestBytes option); nothing was written`,
      options,
    );
  }
}

/** True when `error` is a {@link ConfigError}, optionally with the given code. */
export function isConfigError(error: unknown, code?: ConfigErrorCode): error is ConfigError {
  return error instanceof ConfigError && (code === undefined || error.code === code);
}
