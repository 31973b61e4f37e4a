import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { EtcdModule } from '@etcd-patterns/nest';
import { shutdownTelemetry } from '@etcd-patterns/telemetry';
import type { Logger } from 'pino';
import type { BackupEnv } from './env';
import { BackupService } from './backup.service';
import { HealthController } from './health.controller';
import { BACKUP_ENV, LOGGER } from './tokens';

/** Logs the end and flushes telemetry, after the etcd client is closed. */
@Injectable()
class BackupLifecycle implements OnApplicationShutdown {
  constructor(@Inject(LOGGER) private readonly log: Logger) {}
  async onApplicationShutdown(signal?: string): Promise<void> {
    this.log.info({ signal }, 'stopped');
    await shutdownTelemetry();
  }
}

/**
 * The backup app: the schedule ({@link BackupService}) and `GET /health`. Shutdown order:
 * backups stop and leadership is resigned (`beforeApplicationShutdown`), the HTTP server
 * closes, the etcd client is closed, telemetry is flushed. Apps run under tsx (esbuild), which
 * emits no decorator metadata: every constructor parameter names its token with `@Inject`.
 */
@Module({})
export class BackupModule {
  static forRoot(env: BackupEnv, log: Logger): DynamicModule {
    return {
      module: BackupModule,
      imports: [EtcdModule.forRoot({ client: { endpoints: env.ETCD_ENDPOINTS.split(',') }, sessionTtlSeconds: env.ETCD_SESSION_TTL_SECONDS })],
      controllers: [HealthController],
      providers: [{ provide: BACKUP_ENV, useValue: env }, { provide: LOGGER, useValue: log }, BackupService, BackupLifecycle],
    };
  }
}
