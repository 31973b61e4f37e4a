import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { EtcdModule, RouteTable } from '@etcd-patterns/nest';
import { shutdownTelemetry } from '@etcd-patterns/telemetry';
import type { Logger } from 'pino';
import type { GatewayEnv } from './env';
import { AdminController, GatewayClusterOps } from './admin.controller';
import { ErrorFilter } from './error.filter';
import { GatewayController } from './gateway.controller';
import { GrpcClients } from './grpc-clients';
import { HealthController, Readiness } from './health.controller';
import { GATEWAY_ENV, LOGGER } from './tokens';

@Injectable()
class GatewayLifecycle implements OnApplicationShutdown {
  constructor(@Inject(LOGGER) private readonly log: Logger) {}
  async onApplicationShutdown(signal?: string): Promise<void> {
    this.log.info({ signal }, 'stopped');
    await shutdownTelemetry();
  }
}

/** Every controller of the gateway (their routes also feed the 405 answers, see `RouteTable`). */
const CONTROLLERS = [GatewayController, HealthController, AdminController];

/**
 * The gateway app. Apps run under tsx (esbuild), which emits no decorator metadata: every
 * constructor parameter names its token with `@Inject`.
 */
@Module({})
export class GatewayModule {
  static forRoot(env: GatewayEnv, log: Logger): DynamicModule {
    return {
      module: GatewayModule,
      imports: [EtcdModule.forRoot({ client: { endpoints: env.ETCD_ENDPOINTS.split(',') } })],
      controllers: CONTROLLERS,
      providers: [
        { provide: GATEWAY_ENV, useValue: env },
        { provide: LOGGER, useValue: log },
        { provide: RouteTable, useValue: RouteTable.fromControllers(CONTROLLERS) },
        { provide: APP_FILTER, useClass: ErrorFilter },
        GrpcClients,
        GatewayClusterOps,
        Readiness,
        GatewayLifecycle,
      ],
    };
  }
}
