import type { BackupRecord, BackupRunnerStatus } from '@etcd-patterns/ops';
import { evaluateBackupHealth, type BackupHealthContext } from './backup-health';

const context: BackupHealthContext = { name: 'main', instance: 'b1', leading: true, intervalMs: 1000, graceMs: 500, uptimeMs: 100 };
const record: BackupRecord = {
  slot: 7,
  file: 'etcd-main-20261202T034512.345Z-slot7.db',
  bytes: 20_512,
  sha256: 'a'.repeat(64),
  revision: 42,
  totalKeys: 9,
  at: '2026-12-02T03:45:12.345Z',
  by: 'b1',
};
const ok = (ageMs: number): BackupRunnerStatus => ({ name: 'main', stored: { state: 'ok', record, modRevision: 50 }, ageMs, leader: 'b1', leading: true });

describe('GET /health evaluation', () => {
  it('is ok while the last backup is at most 2 intervals + grace old, stale (503) after', () => {
    expect(evaluateBackupHealth(ok(2500), context)).toEqual({
      httpStatus: 200,
      body: {
        status: 'ok',
        leader: true,
        lastBackup: { ageMs: 2500, bytes: 20_512, file: record.file, revision: 42, slot: 7, at: record.at, by: 'b1' },
        name: 'main',
        instance: 'b1',
        leaderInstance: 'b1',
        maxAgeMs: 2500,
      },
    });
    expect(evaluateBackupHealth(ok(2501), { ...context, leading: false })).toMatchObject({ httpStatus: 503, body: { status: 'stale', leader: false, lastBackup: { ageMs: 2501 } } });
  });

  it('is starting without a backup right after start, missing (503) once the same age has passed', () => {
    const none: BackupRunnerStatus = { name: 'main', stored: { state: 'none' }, ageMs: undefined, leader: undefined, leading: false };
    expect(evaluateBackupHealth(none, context)).toMatchObject({ httpStatus: 200, body: { status: 'starting', lastBackup: null, leaderInstance: null } });
    expect(evaluateBackupHealth(none, { ...context, uptimeMs: 2501 })).toMatchObject({ httpStatus: 503, body: { status: 'missing', lastBackup: null } });
  });

  it('reports a malformed record and an unreadable status as 503 with the problem', () => {
    const malformed: BackupRunnerStatus = { name: 'main', stored: { state: 'malformed', problem: 'not JSON', modRevision: 3 }, ageMs: undefined, leader: 'b2', leading: false };
    expect(evaluateBackupHealth(malformed, context)).toMatchObject({ httpStatus: 503, body: { status: 'malformed', problem: 'not JSON', lastBackup: null, leaderInstance: 'b2' } });
    expect(evaluateBackupHealth({ error: new Error('etcd down') }, context)).toMatchObject({ httpStatus: 503, body: { status: 'unavailable', problem: 'etcd down', leader: true } });
  });
});
