import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown, type Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { RouteTable } from '@etcd-patterns/nest';
import { shutdownTelemetry } from '@etcd-patterns/telemetry';
import type { Logger } from 'pino';
import { AccessController } from './access.controller';
import { ClusterController } from './cluster.controller';
import { ConfigController } from './config.controller';
import { ConsoleState } from './console-state';
import { DemoController } from './demo.controller';
import type { ConsoleEnv } from './env';
import { ErrorFilter } from './error.filter';
import { EtcdAccess } from './etcd-access';
import { EventsController } from './events.controller';
import { HealthController } from './health.controller';
import { KeysController } from './keys.controller';
import { LeasesController } from './leases.controller';
import { ListenAddress } from './listen-address';
import { LiveStreams } from './live-streams';
import { LiveViews } from './live-views';
import { LocksController } from './locks.controller';
import { ServicesController } from './services.controller';
import { SessionController } from './session.controller';
import { SessionGuard } from './session.guard';
import { SessionStore } from './session-store';
import { SignInAttempts } from './sign-in-limiter';
import { TracesController } from './traces.controller';
import { CONSOLE_ENV, LOGGER } from './tokens';

/** Options of {@link ConsoleModule.forRoot}. */
export interface ConsoleModuleOptions {
  readonly env: ConsoleEnv;
  readonly log: Logger;
  /** The console's way into etcd; closed when the app shuts down. */
  readonly access: EtcdAccess;
  /** Flush and stop telemetry last at shutdown (the process's main does; tests do not). */
  readonly shutdownTelemetry?: boolean;
}

/** Every controller (their routes also feed the 405 answers and the OpenAPI document). */
export const CONSOLE_CONTROLLERS: readonly Type[] = [
  SessionController,
  ServicesController,
  ConfigController,
  LocksController,
  ClusterController,
  KeysController,
  LeasesController,
  AccessController,
  TracesController,
  EventsController,
  DemoController,
  HealthController,
];

const TELEMETRY_SHUTDOWN = Symbol('TELEMETRY_SHUTDOWN');

/**
 * Shutdown, after the live streams ended (`LiveStreams.beforeApplicationShutdown`) and the
 * server closed: every session's etcd client, then the console's own, then telemetry.
 */
@Injectable()
class ConsoleLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(SessionStore) private readonly sessions: SessionStore,
    @Inject(EtcdAccess) private readonly access: EtcdAccess,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(TELEMETRY_SHUTDOWN) private readonly telemetry: boolean,
  ) {}

  async onApplicationShutdown(signal?: string): Promise<void> {
    await this.sessions.close();
    await this.access.close();
    this.log.info({ signal }, 'stopped');
    if (this.telemetry) await shutdownTelemetry();
  }
}

/**
 * The console app. Apps run under tsx (esbuild), which emits no decorator metadata: every
 * constructor parameter names its token with `@Inject`.
 */
@Module({})
export class ConsoleModule {
  static forRoot(options: ConsoleModuleOptions): DynamicModule {
    return {
      module: ConsoleModule,
      controllers: [...CONSOLE_CONTROLLERS],
      providers: [
        { provide: CONSOLE_ENV, useValue: options.env },
        { provide: LOGGER, useValue: options.log },
        { provide: EtcdAccess, useValue: options.access },
        { provide: TELEMETRY_SHUTDOWN, useValue: options.shutdownTelemetry ?? false },
        { provide: SessionStore, useFactory: () => new SessionStore({ idleTimeoutMs: options.env.CONSOLE_SESSION_IDLE_SECONDS * 1000 }) },
        { provide: RouteTable, useValue: RouteTable.fromControllers(CONSOLE_CONTROLLERS) },
        { provide: APP_FILTER, useClass: ErrorFilter },
        { provide: APP_GUARD, useClass: SessionGuard },
        SignInAttempts,
        ListenAddress,
        ConsoleState,
        LiveStreams,
        LiveViews,
        ConsoleLifecycle,
      ],
    };
  }
}
