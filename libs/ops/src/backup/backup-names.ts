import { OpsError } from '../errors';

/**
 * A backup name: letters, digits, `.`, `_` or `-`, starting with a letter or digit, at most 64
 * characters. It appears in file names, the election name and the record key, so it can hold
 * no `/` and no character a shell or file system treats specially.
 */
export const BACKUP_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * The election the replicas of backup `name` campaign in: `/elections/backup/<name>`, under
 * the same `/elections/` prefix as the apps' other elections (Go `concurrency` key layout,
 * so `etcdctl elect --listen /elections/backup/<name>` shows the leader).
 */
export function backupElectionName(name: string): string {
  return `/elections/backup/${checkedName(name)}`;
}

/** The key holding the last good backup of `name` (JSON {@link BackupRecord}): `/ops/backup/<name>/last`. */
export function backupRecordKey(name: string): string {
  return `/ops/backup/${checkedName(name)}/last`;
}

/**
 * The slot of a moment: `floor(epochMs / intervalMs)`. Slot `n` covers
 * `[n * intervalMs, (n + 1) * intervalMs)` of wall-clock time; at most one backup is recorded
 * per slot.
 */
export function slotOf(epochMs: number, intervalMs: number): number {
  return Math.floor(epochMs / intervalMs);
}

/** When slot `slot` starts, in epoch ms. */
export function slotStartMs(slot: number, intervalMs: number): number {
  return slot * intervalMs;
}

/**
 * The file name of a backup of `name` started at `at` in `slot`:
 * `etcd-<name>-<ISO 8601 basic time, UTC, ms>-slot<slot>.db`, e.g.
 * `etcd-main-20261202T034512.345Z-slot1176518.db`. Names of one backup sort by time (the time
 * has a fixed width); the basic ISO format keeps `:` out of file names.
 */
export function backupFileName(name: string, at: Date, slot: number): string {
  if (!Number.isSafeInteger(slot) || slot < 0) throw new OpsError('OPS_INVALID_ARGUMENT', `slot must be a whole number >= 0, got ${slot}`);
  return `etcd-${checkedName(name)}-${basicIso(at)}-slot${slot}.db`;
}

/** A backup file name taken apart by {@link parseBackupFileName}. */
export interface BackupFileName {
  /** The file name (no directory). */
  readonly file: string;
  /** When the snapshot was started. */
  readonly at: Date;
  readonly slot: number;
}

/**
 * Parses a file name written by {@link backupFileName} for backup `name`; `undefined` for any
 * other file (another backup name's, a temporary file, anything else), so callers never touch
 * files that are not theirs. `etcd-a-...` never matches the files of backup `a-b`: the time
 * right after the name has a fixed form.
 */
export function parseBackupFileName(name: string, file: string): BackupFileName | undefined {
  const match = fileNameRegExp(checkedName(name)).exec(file);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, ms, slot] = match;
  const at = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
  const slotNumber = Number(slot);
  if (Number.isNaN(at.getTime()) || !Number.isSafeInteger(slotNumber)) return undefined;
  return { file, at, slot: slotNumber };
}

/**
 * True for a temporary file `saveSnapshot` writes while a backup of `name` is in flight
 * (`.<final name>.part-<pid>-<hex>`); one is left behind only when a process was killed.
 */
export function isBackupTempFile(name: string, file: string): boolean {
  const match = /^\.(.+)\.part-\d+-[0-9a-f]+$/.exec(file);
  return match !== null && parseBackupFileName(name, match[1]!) !== undefined;
}

function fileNameRegExp(name: string): RegExp {
  const escaped = name.replace(/[.]/g, '\\.');
  return new RegExp(`^etcd-${escaped}-(\\d{4})(\\d{2})(\\d{2})T(\\d{2})(\\d{2})(\\d{2})\\.(\\d{3})Z-slot(\\d{1,16})\\.db$`);
}

function basicIso(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '');
}

function checkedName(name: string): string {
  if (typeof name !== 'string' || !BACKUP_NAME_PATTERN.test(name)) {
    throw new OpsError('OPS_INVALID_ARGUMENT', `backup name ${JSON.stringify(name)} must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  return name;
}
