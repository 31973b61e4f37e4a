import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { ETCD_CLIENT } from '@etcd-patterns/nest';
import { runBackups, type BackupEvent, type BackupRunner, type BackupRunnerStatus } from '@etcd-patterns/ops';
import type { Etcd3 } from '@etcd-patterns/etcd';
import type { Logger } from 'pino';
import type { BackupEnv } from './env';
import { BACKUP_ENV, LOGGER } from './tokens';

/**
 * Runs the backup schedule (`runBackups` of `@etcd-patterns/ops`) for the life of the app: starts
 * campaigning once the app is up; in `beforeApplicationShutdown` (SIGTERM) stops campaigning,
 * aborts an in-flight snapshot (its temporary file is removed) and resigns, so another replica
 * takes over at once, before the etcd client is closed.
 */
@Injectable()
export class BackupService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private runner: BackupRunner | undefined;
  private startedAt = performance.now();

  constructor(
    @Inject(ETCD_CLIENT) private readonly client: Etcd3,
    @Inject(BACKUP_ENV) private readonly env: BackupEnv,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const env = this.env;
    this.startedAt = performance.now();
    this.runner = await runBackups({
      client: this.client,
      name: env.BACKUP_NAME,
      dir: env.BACKUP_DIR,
      intervalMs: env.BACKUP_INTERVAL_MS,
      keep: env.BACKUP_KEEP,
      instance: env.INSTANCE_NAME,
      sessionTtlSeconds: env.ETCD_SESSION_TTL_SECONDS,
      onEvent: (event) => this.logEvent(event),
      onError: (error) => this.log.warn({ err: error }, 'backup runner error'),
    });
    this.runner.done.catch((error: unknown) => this.log.error({ err: error }, 'backup runner stopped on an error it cannot retry'));
  }

  /** Whether this replica leads now. */
  get leading(): boolean {
    return this.runner?.leading ?? false;
  }

  /** How long the schedule has been running here, in ms. */
  get uptimeMs(): number {
    return performance.now() - this.startedAt;
  }

  /** The last good backup and the leader, read from etcd (see `lastBackup`). */
  async status(): Promise<BackupRunnerStatus> {
    if (!this.runner) throw new Error('the backup runner has not started');
    return this.runner.status({ timeoutMs: 2000 });
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.log.info({ signal }, 'shutting down: stopping backups and resigning');
    await this.runner?.close();
  }

  private logEvent(event: BackupEvent): void {
    switch (event.type) {
      case 'elected':
        this.log.info({ fencingToken: event.token }, 'elected: taking backups');
        break;
      case 'skipped':
        this.log.info({ slot: event.slot, doneBy: event.doneBy, nextAttemptAt: new Date(event.nextAttemptAt).toISOString() }, 'slot already backed up: waiting for the next one');
        break;
      case 'started':
        this.log.debug({ slot: event.slot, file: event.file }, 'backup started');
        break;
      case 'saved': {
        const { record } = event;
        this.log.info(
          { slot: event.slot, file: record.file, bytes: record.bytes, revision: record.revision, totalKeys: record.totalKeys, sha256: record.sha256, tookMs: event.tookMs, adopted: event.adopted },
          'backup saved',
        );
        break;
      }
      case 'failed':
        this.log.warn({ slot: event.slot, err: event.error, retryInMs: event.retryInMs }, 'backup failed: retrying');
        break;
      case 'malformed-record':
        this.log.warn({ problem: event.problem }, 'the stored backup record is malformed: the next backup replaces it');
        break;
      case 'pruned':
        this.log.info({ files: event.files }, 'old backups deleted');
        break;
      case 'term-ended':
        this.log.info({ reason: event.reason instanceof Error ? event.reason.message : String(event.reason) }, 'leadership ended');
        break;
    }
  }
}
