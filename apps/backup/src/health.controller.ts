import { Controller, Get, HttpException, Inject } from '@nestjs/common';
import type { BackupEnv } from './env';
import { evaluateBackupHealth, type BackupHealthBody } from './backup-health';
import { BackupService } from './backup.service';
import { BACKUP_ENV } from './tokens';

/**
 * `GET /health`: `{ status, leader, lastBackup: { ageMs, bytes, file, revision, ... } | null, ... }`
 * from any replica, leader or not (the record lives in etcd). HTTP 503 when the last good backup
 * is older than `2 × BACKUP_INTERVAL_MS + BACKUP_HEALTH_GRACE_MS`, when none was taken within
 * that time after start, when the record is malformed, or when etcd does not answer; see
 * `BackupHealthStatus`.
 */
@Controller()
export class HealthController {
  constructor(
    @Inject(BackupService) private readonly backups: BackupService,
    @Inject(BACKUP_ENV) private readonly env: BackupEnv,
  ) {}

  @Get('health')
  async health(): Promise<BackupHealthBody> {
    const read = await this.backups.status().catch((error: unknown) => ({ error }));
    const { httpStatus, body } = evaluateBackupHealth(read, {
      name: this.env.BACKUP_NAME,
      instance: this.env.INSTANCE_NAME,
      leading: this.backups.leading,
      intervalMs: this.env.BACKUP_INTERVAL_MS,
      graceMs: this.env.BACKUP_HEALTH_GRACE_MS,
      uptimeMs: this.backups.uptimeMs,
    });
    if (httpStatus !== 200) throw new HttpException(body, httpStatus);
    return body;
  }
}
