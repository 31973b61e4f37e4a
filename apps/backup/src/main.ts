import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createLogger, metricsUrl, NestPinoLogger } from '@etcd-patterns/telemetry';
import type { AddressInfo } from 'node:net';
import { BackupModule } from './backup.module';
import { parseBackupEnv } from './env';

async function main(): Promise<void> {
  let env;
  try {
    env = parseBackupEnv();
  } catch (error) {
    process.stderr.write(`backup: ${(error as Error).message}\n`);
    process.exit(78); // EX_CONFIG
  }
  const log = createLogger({ service: 'backup', level: env.LOG_LEVEL, base: { instance: env.INSTANCE_NAME } });
  const app = await NestFactory.create<NestExpressApplication>(BackupModule.forRoot(env, log), { logger: new NestPinoLogger(log) });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen(env.HTTP_PORT, env.HTTP_HOST);
  const { port } = app.getHttpServer().address() as AddressInfo;
  const host = env.HTTP_HOST === '0.0.0.0' ? '127.0.0.1' : env.HTTP_HOST;
  const url = `http://${host}:${port}`;
  log.info(
    { url, health: `${url}/health`, name: env.BACKUP_NAME, dir: env.BACKUP_DIR, intervalMs: env.BACKUP_INTERVAL_MS, keep: env.BACKUP_KEEP, metrics: await metricsUrl() },
    'backup ready',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`backup: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
