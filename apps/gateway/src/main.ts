import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createLogger, metricsUrl, NestPinoLogger, requestLog } from '@etcd-patterns/telemetry';
import type { AddressInfo } from 'node:net';
import { answerClientErrors } from './client-error';
import { parseGatewayEnv } from './env';
import { GatewayModule } from './gateway.module';
import { applyHttpTimeouts } from './http-timeouts';
import { traceHeaders } from './trace-headers';

async function main(): Promise<void> {
  let env;
  try {
    env = parseGatewayEnv();
  } catch (error) {
    process.stderr.write(`gateway: ${(error as Error).message}\n`);
    process.exit(78); // EX_CONFIG
  }
  const log = createLogger({ service: 'gateway', level: env.LOG_LEVEL, base: { instance: env.INSTANCE_NAME } });
  const app = await NestFactory.create<NestExpressApplication>(GatewayModule.forRoot(env, log), {
    logger: new NestPinoLogger(log),
    bodyParser: false, // JSON only, with an explicit size limit (413 beyond)
  });
  app.use(traceHeaders, requestLog(log)); // first: every answer, body-parser errors included, carries them
  app.useBodyParser('json', { limit: '100kb' });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  answerClientErrors(app.getHttpServer(), log); // 431/408/400 from Node's parser get a JSON body too
  // Slow clients (slowloris): 408 once the headers or the whole request take too long.
  applyHttpTimeouts(app.getHttpServer(), { headersTimeoutMs: env.GATEWAY_HEADERS_TIMEOUT_MS, requestTimeoutMs: env.GATEWAY_REQUEST_TIMEOUT_MS });
  await app.listen(env.GATEWAY_PORT, env.GATEWAY_HOST);
  const { port } = app.getHttpServer().address() as AddressInfo;
  const host = env.GATEWAY_HOST === '0.0.0.0' ? '127.0.0.1' : env.GATEWAY_HOST;
  log.info({ url: `http://${host}:${port}`, metrics: await metricsUrl() }, 'gateway ready');
}

main().catch((error: unknown) => {
  process.stderr.write(`gateway: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
