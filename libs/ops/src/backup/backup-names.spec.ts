import { backupElectionName, backupFileName, backupRecordKey, isBackupTempFile, parseBackupFileName, slotOf, slotStartMs } from './backup-names';

describe('backup names', () => {
  const at = new Date('2026-12-02T03:45:12.345Z');

  it('names files by name, time (fixed width, no colons) and slot, and parses them back', () => {
    const file = backupFileName('main', at, 1176518);
    expect(file).toBe('etcd-main-20261202T034512.345Z-slot1176518.db');
    expect(parseBackupFileName('main', file)).toEqual({ file, at, slot: 1176518 });
    const later = backupFileName('main', new Date('2026-12-02T03:45:13.000Z'), 1176519);
    expect([later, file].sort()).toEqual([file, later]);
  });

  it("never takes another name's files, temporary files or anything else for its own", () => {
    const ofAB = backupFileName('a-b', at, 3);
    expect(parseBackupFileName('a', ofAB)).toBeUndefined();
    expect(parseBackupFileName('a-b', ofAB)).toBeDefined();
    expect(parseBackupFileName('a.b', backupFileName('aXb', at, 3))).toBeUndefined(); // '.' is literal
    for (const other of [`.${ofAB}.part-12-ab12cd34`, `${ofAB}.bak`, 'etcd-a-b-2026-slot3.db', 'notes.txt', `x${ofAB}`]) {
      expect(parseBackupFileName('a-b', other)).toBeUndefined();
    }
    expect(isBackupTempFile('a-b', `.${ofAB}.part-12-ab12cd34`)).toBe(true);
    expect(isBackupTempFile('a', `.${ofAB}.part-12-ab12cd34`)).toBe(false);
    expect(isBackupTempFile('a-b', ofAB)).toBe(false);
  });

  it('derives the election and record key, and rejects names that could escape them', () => {
    expect(backupElectionName('main')).toBe('/elections/backup/main');
    expect(backupRecordKey('main')).toBe('/ops/backup/main/last');
    for (const bad of ['', 'a/b', '../x', '-lead', 'a b', 'x'.repeat(65)]) {
      expect(() => backupRecordKey(bad)).toThrow(expect.objectContaining({ code: 'OPS_INVALID_ARGUMENT' }));
    }
    expect(() => backupFileName('main', at, -1)).toThrow(expect.objectContaining({ code: 'OPS_INVALID_ARGUMENT' }));
  });

  it('cuts time into slots of the interval', () => {
    expect(slotOf(2999, 1000)).toBe(2);
    expect(slotOf(3000, 1000)).toBe(3);
    expect(slotStartMs(3, 1500)).toBe(4500);
  });
});
