import { OpsError } from '../errors';

/**
 * The `OPS_SNAPSHOT_INVALID` error for the snapshot file at `path`: says what is wrong and that
 * the file must not be restored.
 */
export function snapshotInvalid(path: string, detail: string, cause?: unknown): OpsError {
  return new OpsError('OPS_SNAPSHOT_INVALID', `snapshot ${path} is invalid: ${detail}; it must not be restored`, cause === undefined ? {} : { cause });
}
