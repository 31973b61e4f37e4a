import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupFileName } from '../backup-names';
import { pruneBackups } from './prune-backups';

describe('pruneBackups (files only)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'prune-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const put = async (file: string): Promise<string> => {
    await writeFile(join(dir, file), 'x');
    return file;
  };
  const at = (s: number): Date => new Date(Date.UTC(2026, 11, 2, 3, 0, s));

  it('keeps the newest slots, one file per slot (the recorded one), and never touches other files', async () => {
    const s1 = await put(backupFileName('main', at(1), 1));
    const s2 = await put(backupFileName('main', at(2), 2));
    const s3a = await put(backupFileName('main', at(3), 3));
    const s3b = await put(backupFileName('main', at(4), 3)); // a deposed leader's duplicate
    const s4 = await put(backupFileName('main', at(5), 4));
    const others = [await put(backupFileName('other', at(1), 1)), await put('notes.txt'), await put(`${s1}.copy`)];

    const result = await pruneBackups(dir, 'main', 2, s3b, 60_000);
    expect(result.errors).toEqual([]);
    expect(result.deleted.sort()).toEqual([s1, s2, s3a].sort());
    expect((await readdir(dir)).sort()).toEqual([...others, s3b, s4].sort());
  });

  it('keeps the earliest file of a duplicated slot when none is recorded, and always the recorded file', async () => {
    const old = await put(backupFileName('main', at(1), 1));
    const a = await put(backupFileName('main', at(5), 5));
    const b = await put(backupFileName('main', at(6), 5));
    const newest = await put(backupFileName('main', at(7), 6));
    await pruneBackups(dir, 'main', 1, old, 60_000);
    expect((await readdir(dir)).sort()).toEqual([old, newest].sort());
    await put(a);
    await put(b);
    await pruneBackups(dir, 'main', 5, undefined, 60_000);
    expect((await readdir(dir)).sort()).toEqual([old, a, newest].sort());
  });

  it('deletes temporary files of a killed process only once they are stale', async () => {
    const fresh = await put(`.${backupFileName('main', at(1), 1)}.part-123-abcd0123`);
    const stale = await put(`.${backupFileName('main', at(2), 2)}.part-456-abcd0456`);
    const foreign = await put(`.${backupFileName('other', at(2), 2)}.part-456-abcd0456`);
    const longAgo = new Date(Date.now() - 3_600_000);
    await utimes(join(dir, stale), longAgo, longAgo);
    await utimes(join(dir, foreign), longAgo, longAgo);
    expect((await pruneBackups(dir, 'main', 1, undefined, 60_000)).deleted).toEqual([stale]);
    expect((await readdir(dir)).sort()).toEqual([fresh, foreign].sort());
  });
});
