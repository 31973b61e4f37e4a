import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { pickFreePort } from '@etcd-patterns/discovery';
import { grpcServerCredentials } from '@etcd-patterns/lb-resolver';
import { DiscoveryRegistrar } from '@etcd-patterns/nest';
import { WORKER_PACKAGE, WORKER_PROTO, PROTO_LOADER_OPTIONS } from '@etcd-patterns/protos';
import { createLogger, metricsUrl, NestPinoLogger, traceRegistration } from '@etcd-patterns/telemetry';
import { parseWorkerEnv } from './env';
import { WorkerModule } from './worker.module';

async function main(): Promise<void> {
  let env;
  try {
    env = parseWorkerEnv();
  } catch (error) {
    process.stderr.write(`worker: ${(error as Error).message}\n`);
    process.exit(78); // EX_CONFIG
  }
  const log = createLogger({ service: 'worker', level: env.LOG_LEVEL, base: { instance: env.INSTANCE_NAME } });
  const port = env.WORKER_PORT || (await pickFreePort(env.WORKER_HOST));
  const address = `${env.WORKER_ADVERTISE_HOST}:${port}`;
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(WorkerModule.forRoot(env, address, log), {
    transport: Transport.GRPC,
    options: {
      url: `${env.WORKER_HOST}:${port}`,
      package: WORKER_PACKAGE,
      protoPath: WORKER_PROTO,
      loader: { ...PROTO_LOADER_OPTIONS, includeDirs: [...PROTO_LOADER_OPTIONS.includeDirs] },
      gracefulShutdown: true,
      credentials: grpcServerCredentials({ certFile: env.GRPC_TLS_CERT_FILE, keyFile: env.GRPC_TLS_KEY_FILE }),
    },
    logger: new NestPinoLogger(log),
  });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen();
  await traceRegistration('worker', address, () => app.get(DiscoveryRegistrar).register());
  log.info({ address, tls: Boolean(env.GRPC_TLS_CERT_FILE), version: env.WORKER_VERSION, zone: env.WORKER_ZONE, metrics: await metricsUrl() }, 'worker ready');
}

main().catch((error: unknown) => {
  process.stderr.write(`worker: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
