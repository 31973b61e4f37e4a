import { EtcdPatternsError } from '@etcd-patterns/etcd';

/**
 * Error codes of the discovery library.
 * - `DISCOVERY_INVALID_ARGUMENT`: a bad service name, address, prefix or metadata was passed.
 * - `DISCOVERY_INVALID_INSTANCE`: a value under a service prefix is not a valid instance
 *   (not JSON, wrong shape, bad address). Reported, never thrown by a watcher.
 * - `DISCOVERY_DEREGISTERED`: the registration was already removed.
 */
export type DiscoveryErrorCode = 'DISCOVERY_INVALID_ARGUMENT' | 'DISCOVERY_INVALID_INSTANCE' | 'DISCOVERY_DEREGISTERED';

/** A bad argument to `register`, `discover` or the naming helpers. */
export class DiscoveryArgumentError extends EtcdPatternsError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('DISCOVERY_INVALID_ARGUMENT', message, { ...options, retryable: false });
  }
}

/** A malformed entry found under a service prefix; it is skipped. */
export class InvalidInstanceError extends EtcdPatternsError {
  constructor(
    /** The etcd key of the malformed entry. */
    readonly key: string,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super('DISCOVERY_INVALID_INSTANCE', `${key}: ${message}`, { ...options, retryable: false });
  }
}
