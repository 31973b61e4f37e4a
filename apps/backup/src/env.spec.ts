import { parseBackupEnv } from './env';

describe('backup environment', () => {
  it('applies defaults', () => {
    expect(parseBackupEnv({ ETCD_ENDPOINTS: 'etcd:2379', BACKUP_DIR: '/backups' })).toMatchObject({
      BACKUP_NAME: 'main',
      BACKUP_INTERVAL_MS: 3_600_000,
      BACKUP_KEEP: 24,
      BACKUP_HEALTH_GRACE_MS: 60_000,
      HTTP_HOST: '0.0.0.0',
      HTTP_PORT: 8081,
      ETCD_SESSION_TTL_SECONDS: 10,
    });
  });

  it('fails fast naming every bad variable', () => {
    expect(() =>
      parseBackupEnv({ ETCD_ENDPOINTS: 'e:1', BACKUP_DIR: 'relative', BACKUP_INTERVAL_MS: '999', BACKUP_KEEP: '0', BACKUP_NAME: 'a/b', HTTP_PORT: '70000' }),
    ).toThrow(/^invalid environment: BACKUP_NAME: .*; BACKUP_DIR: must be an absolute path; BACKUP_INTERVAL_MS: .*; BACKUP_KEEP: .*; HTTP_PORT: /);
    expect(() => parseBackupEnv({ ETCD_ENDPOINTS: 'e:1' })).toThrow(/BACKUP_DIR: is required/);
    expect(() => parseBackupEnv({ BACKUP_DIR: '/b', ETCD_ENDPOINTS: '' })).toThrow(/ETCD_ENDPOINTS: is required/);
  });
});
