import type { Etcd3 } from '@etcd-patterns/etcd';
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { OpsError } from '../errors';
import type { BackupEvent } from './backup-events';
import { BACKUP_NAME_PATTERN } from './backup-names';

/** Options of {@link runBackups}. */
export interface RunBackupsOptions {
  /** The etcd client (not closed by the runner). Snapshots stream from the member it picks. */
  readonly client: Etcd3;
  /** Backup name ({@link BACKUP_NAME_PATTERN}): names the election, the record key and the files. */
  readonly name: string;
  /** Absolute directory of the backup files; created (with parents) when missing. */
  readonly dir: string;
  /** Length of a slot, in ms (at least 1000): one backup per slot. */
  readonly intervalMs: number;
  /** Verified backup files to keep (at least 1); older files of this name are deleted. */
  readonly keep: number;
  /** This replica's campaign value, also stored as the record's `by`. Default `<hostname>-<pid>`. */
  readonly instance?: string;
  /**
   * TTL of each term's session lease, in seconds (default 10, at least 2): after a crash, how long
   * until another replica takes over.
   */
  readonly sessionTtlSeconds?: number;
  /** Pause before retrying a failed backup in the same slot, in ms. Default `intervalMs / 10`, within 200..5000. */
  readonly retryDelayMs?: number;
  /**
   * A snapshot stream that delivers no data for this long is abandoned (a member that stopped
   * answering, a stalled connection) and retried, in ms. Default 30000.
   */
  readonly snapshotIdleTimeoutMs?: number;
  /** Deadline of each etcd read, in ms. Default 5000. */
  readonly callTimeoutMs?: number;
  /** Stops the runner: an in-flight snapshot is aborted, leadership resigned. */
  readonly signal?: AbortSignal;
  /** Every failure (backups, reads, lost terms). Must not throw. Default: none. */
  readonly onError?: (error: unknown) => void;
  /** Every {@link BackupEvent}, for logs and metrics. Must not throw. Default: none. */
  readonly onEvent?: (event: BackupEvent) => void;
}

/** @internal Options after validation, with defaults applied. */
export interface ResolvedBackupOptions {
  readonly client: Etcd3;
  readonly name: string;
  readonly dir: string;
  readonly intervalMs: number;
  readonly keep: number;
  readonly instance: string;
  readonly sessionTtlSeconds: number;
  readonly retryDelayMs: number;
  readonly snapshotIdleTimeoutMs: number;
  readonly callTimeoutMs: number;
  readonly signal: AbortSignal | undefined;
  readonly onError: (error: unknown) => void;
  readonly onEvent: (event: BackupEvent) => void;
}

const callback = z.custom<(value: never) => void>((v) => typeof v === 'function', 'must be a function');

const schema = z.object({
  client: z.custom<Etcd3>((v) => typeof v === 'object' && v !== null && 'kv' in v && 'maintenance' in v, 'must be an etcd3 client'),
  name: z.string().regex(BACKUP_NAME_PATTERN, "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"),
  dir: z.string().min(1).refine(isAbsolute, 'must be an absolute path'),
  intervalMs: z.number().int().min(1000, 'must be at least 1000 (ms)').max(2 ** 31 - 1),
  keep: z.number().int().min(1, 'must be at least 1').max(100_000),
  instance: z.string().min(1).max(256).optional(),
  sessionTtlSeconds: z.number().int().min(2).max(3600).optional(),
  retryDelayMs: z.number().int().min(1).max(3_600_000).optional(),
  snapshotIdleTimeoutMs: z.number().int().min(100).max(3_600_000).optional(),
  callTimeoutMs: z.number().int().min(100).max(600_000).optional(),
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, 'must be an AbortSignal').optional(),
  onError: callback.optional(),
  onEvent: callback.optional(),
});

/**
 * Validates the options of {@link runBackups}, applies the defaults, and creates the directory
 * (with parents) when missing.
 * @throws {OpsError} `OPS_INVALID_ARGUMENT` naming every bad option, or when `dir` cannot be
 *   created, is not a directory or is not writable (the `node:fs` error is the cause).
 * @internal
 */
export async function resolveBackupOptions(options: RunBackupsOptions): Promise<ResolvedBackupOptions> {
  const parsed = schema.safeParse(options ?? {});
  if (!parsed.success) {
    throw new OpsError('OPS_INVALID_ARGUMENT', `invalid backup options: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ')}`);
  }
  const o = parsed.data;
  try {
    await mkdir(o.dir, { recursive: true });
    if (!(await stat(o.dir)).isDirectory()) throw new Error('not a directory');
    await access(o.dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new OpsError('OPS_INVALID_ARGUMENT', `backup directory ${o.dir} cannot be used: ${(error as Error).message}`, { cause: error });
  }
  const safe = <T extends unknown[]>(fn: ((...args: T) => void) | undefined) => (...args: T): void => {
    try {
      fn?.(...args);
    } catch {
      // A throwing handler must not stop the backups.
    }
  };
  return {
    client: o.client,
    name: o.name,
    dir: o.dir,
    intervalMs: o.intervalMs,
    keep: o.keep,
    instance: o.instance ?? `${hostname()}-${process.pid}`,
    sessionTtlSeconds: o.sessionTtlSeconds ?? 10,
    retryDelayMs: o.retryDelayMs ?? Math.min(5000, Math.max(200, Math.round(o.intervalMs / 10))),
    snapshotIdleTimeoutMs: o.snapshotIdleTimeoutMs ?? 30_000,
    callTimeoutMs: o.callTimeoutMs ?? 5000,
    signal: o.signal,
    onError: safe(options.onError),
    onEvent: safe(options.onEvent),
  };
}
