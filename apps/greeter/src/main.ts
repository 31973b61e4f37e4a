import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { pickFreePort } from '@etcd-patterns/discovery';
import { grpcServerCredentials } from '@etcd-patterns/lb-resolver';
import { DiscoveryRegistrar } from '@etcd-patterns/nest';
import { GREETER_PACKAGE, GREETER_PROTO, PROTO_LOADER_OPTIONS } from '@etcd-patterns/protos';
import { createLogger, metricsUrl, NestPinoLogger, traceRegistration } from '@etcd-patterns/telemetry';
import { parseGreeterEnv } from './env';
import { GreeterModule } from './greeter.module';

async function main(): Promise<void> {
  let env;
  try {
    env = parseGreeterEnv();
  } catch (error) {
    process.stderr.write(`greeter: ${(error as Error).message}\n`);
    process.exit(78); // EX_CONFIG
  }
  const log = createLogger({ service: 'greeter', level: env.LOG_LEVEL, base: { instance: env.INSTANCE_NAME } });
  const port = env.GREETER_PORT || (await pickFreePort(env.GREETER_HOST));
  const address = `${env.GREETER_ADVERTISE_HOST}:${port}`;
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(GreeterModule.forRoot(env, address, log), {
    transport: Transport.GRPC,
    options: {
      url: `${env.GREETER_HOST}:${port}`,
      package: GREETER_PACKAGE,
      protoPath: GREETER_PROTO,
      loader: { ...PROTO_LOADER_OPTIONS, includeDirs: [...PROTO_LOADER_OPTIONS.includeDirs] },
      gracefulShutdown: true,
      credentials: grpcServerCredentials({ certFile: env.GRPC_TLS_CERT_FILE, keyFile: env.GRPC_TLS_KEY_FILE }),
    },
    logger: new NestPinoLogger(log),
  });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen();
  await traceRegistration('greeter', address, () => app.get(DiscoveryRegistrar).register());
  log.info({ address, tls: Boolean(env.GRPC_TLS_CERT_FILE), version: env.GREETER_VERSION, zone: env.GREETER_ZONE, metrics: await metricsUrl() }, 'greeter ready');
}

main().catch((error: unknown) => {
  process.stderr.write(`greeter: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
