import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseBackupFileName, type BackupFileName } from './backup-names';

/** A backup file found by {@link listBackupFiles}. */
export interface BackupFile extends BackupFileName {
  /** Full path (`dir` joined with `file`). */
  readonly path: string;
}

/**
 * The backup files of `name` in `dir`, oldest first (by the start time in the name, then by
 * name; not by slot, whose numbers change with the interval). Only names written by `backupFileName` for this `name` are listed: other
 * backups' files, temporary files and anything else in the directory are ignored. Files are
 * listed, not verified (every file with a final name was verified before it was renamed into
 * place; check one with `readSnapshotFile`).
 * @throws the `node:fs` error when `dir` cannot be read.
 */
export async function listBackupFiles(dir: string, name: string): Promise<BackupFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: BackupFile[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const parsed = parseBackupFileName(name, entry.name);
    if (parsed) files.push({ ...parsed, path: join(dir, entry.name) });
  }
  return files.sort((a, b) => a.at.getTime() - b.at.getTime() || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}
