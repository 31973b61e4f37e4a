import { Inject, Injectable, Module, type BeforeApplicationShutdown, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryModule, DiscoveryRegistrar, EtcdModule, LockModule } from '@etcd-patterns/nest';
import { shutdownTelemetry } from '@etcd-patterns/telemetry';
import type { Logger } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkerEnv } from './env';
import { GreeterClient } from './greeter-client';
import { JobRunner } from './job-runner';
import { JobStore } from './job-store';
import { RequeueLeader } from './requeue';
import { LOGGER, WORKER_ENV } from './tokens';
import { WorkerController } from './worker.controller';

/**
 * Shutdown order: deregister and wait `SHUTDOWN_DRAIN_MS` (clients stop picking this replica),
 * then, in the other `beforeApplicationShutdown` hooks, jobs are handed back and leadership is
 * resigned; the gRPC server drains; leases are revoked; telemetry is flushed last.
 */
@Injectable()
class WorkerLifecycle implements BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(DiscoveryRegistrar) private readonly registrar: DiscoveryRegistrar,
  ) {}

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.log.info({ signal }, 'shutting down: deregistering');
    await this.registrar.beforeApplicationShutdown();
    if (this.env.SHUTDOWN_DRAIN_MS > 0) await sleep(this.env.SHUTDOWN_DRAIN_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    this.log.info('stopped');
    await shutdownTelemetry();
  }
}

/**
 * The worker app. Apps run under tsx (esbuild), which emits no decorator metadata: every
 * constructor parameter names its token with `@Inject`.
 */
@Module({})
export class WorkerModule {
  static forRoot(env: WorkerEnv, address: string, log: Logger): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        EtcdModule.forRoot({ client: { endpoints: env.ETCD_ENDPOINTS.split(',') }, sessionTtlSeconds: env.ETCD_SESSION_TTL_SECONDS }),
        DiscoveryModule.forRoot({ service: 'worker', address, metadata: { version: env.WORKER_VERSION, zone: env.WORKER_ZONE, instance: env.INSTANCE_NAME } }),
        LockModule.forRoot({ sessionTtlSeconds: env.ETCD_SESSION_TTL_SECONDS }),
      ],
      controllers: [WorkerController],
      providers: [
        { provide: WORKER_ENV, useValue: env },
        { provide: LOGGER, useValue: log },
        WorkerLifecycle,
        JobStore,
        GreeterClient,
        JobRunner,
        RequeueLeader,
      ],
    };
  }
}
