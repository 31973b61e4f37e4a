import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { listBackupFiles, type BackupFile } from '../backup-files';
import { isBackupTempFile } from '../backup-names';

/** What {@link pruneBackups} did. */
export interface PruneResult {
  /** File names deleted. */
  readonly deleted: string[];
  /** Deletions that failed (the file stays; tried again next time). */
  readonly errors: unknown[];
}

/**
 * Deletes, among the files of backup `name` in `dir` only:
 * 1. duplicates of one slot (a deposed or killed leader's file next to its successor's): the
 *    recorded file is kept, otherwise the earliest;
 * 2. all but the newest `keep` of the remaining files, by start time (the recorded file is always
 *    kept);
 * 3. temporary files of a killed process not modified for `staleTempMs` (an in-flight snapshot
 *    writes at least every buffer's worth of data, so a live one is never that old).
 */
export async function pruneBackups(dir: string, name: string, keep: number, recordedFile: string | undefined, staleTempMs: number): Promise<PruneResult> {
  const files = await listBackupFiles(dir, name);
  const doomed: BackupFile[] = [];
  const bySlot = new Map<number, BackupFile[]>();
  for (const f of files) bySlot.set(f.slot, [...(bySlot.get(f.slot) ?? []), f]);
  const kept: BackupFile[] = [];
  for (const group of bySlot.values()) {
    const winner = group.find((f) => f.file === recordedFile) ?? group[0]!;
    kept.push(winner);
    doomed.push(...group.filter((f) => f !== winner));
  }
  kept.sort((a, b) => a.at.getTime() - b.at.getTime()); // oldest first, whatever the interval was
  const excess = kept.length - keep;
  if (excess > 0) doomed.push(...kept.slice(0, excess).filter((f) => f.file !== recordedFile));
  const deleted: string[] = [];
  const errors: unknown[] = [];
  const remove = async (file: string): Promise<void> => {
    try {
      await rm(join(dir, file), { force: true });
      deleted.push(file);
    } catch (error) {
      errors.push(error);
    }
  };
  for (const f of doomed) await remove(f.file);
  const now = Date.now();
  for (const entry of await readdir(dir)) {
    if (!isBackupTempFile(name, entry)) continue;
    const info = await stat(join(dir, entry)).catch(() => undefined);
    if (info && now - info.mtimeMs > staleTempMs) await remove(entry);
  }
  return { deleted, errors };
}
