import { Inject, Injectable, Module, type BeforeApplicationShutdown, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigValidationError, type HotConfig } from '@etcd-patterns/config';
import { ConfigCenterModule, DiscoveryModule, DiscoveryRegistrar, EtcdModule, InjectHotConfig } from '@etcd-patterns/nest';
import { recordConfigReload, shutdownTelemetry } from '@etcd-patterns/telemetry';
import type { Logger } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GreeterEnv } from './env';
import { GreeterController } from './greeter.controller';
import { DEFAULT_GREETING_CONFIG, greetingConfigSchema, type GreetingConfig } from './greeting';
import { GREETER_ENV, LOGGER } from './tokens';

/**
 * Logs and traces config reloads; on shutdown deregisters first, waits `SHUTDOWN_DRAIN_MS` so
 * clients drop this replica before the server stops accepting (the gRPC server then drains
 * in-flight calls), and flushes telemetry last.
 */
@Injectable()
class GreeterLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private unsubscribe: (() => void) | undefined;

  constructor(
    @Inject(GREETER_ENV) private readonly env: GreeterEnv,
    @Inject(LOGGER) private readonly log: Logger,
    @InjectHotConfig() private readonly config: HotConfig<GreetingConfig>,
    @Inject(DiscoveryRegistrar) private readonly registrar: DiscoveryRegistrar,
  ) {}

  onApplicationBootstrap(): void {
    const { lastChange } = this.config;
    this.log.info({ namespace: this.env.CONFIG_NAMESPACE, version: this.config.version, source: lastChange?.source }, 'greeting config loaded');
    this.unsubscribe = this.config.subscribe((change) => {
      recordConfigReload(this.env.CONFIG_NAMESPACE, change);
      this.log.info({ namespace: this.env.CONFIG_NAMESPACE, version: change.version, revision: change.revision, source: change.source, template: change.value.template }, 'greeting config reloaded');
    });
    // One line: the code, the refused version and the reasons (not the ZodError's JSON dump).
    this.config.onError((error) =>
      this.log.warn(
        { namespace: this.env.CONFIG_NAMESPACE, code: error.code, ...(error instanceof ConfigValidationError ? { version: error.version, revision: error.revision } : {}), reason: error.message },
        'greeting config change refused',
      ),
    );
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.log.info({ signal }, 'shutting down: deregistering');
    await this.registrar.beforeApplicationShutdown();
    if (this.env.SHUTDOWN_DRAIN_MS > 0) await sleep(this.env.SHUTDOWN_DRAIN_MS);
    this.log.info('draining in-flight calls');
  }

  async onApplicationShutdown(): Promise<void> {
    this.unsubscribe?.();
    this.log.info('stopped');
    await shutdownTelemetry();
  }
}

/** The greeter app. */
@Module({})
export class GreeterModule {
  static forRoot(env: GreeterEnv, address: string, log: Logger): DynamicModule {
    return {
      module: GreeterModule,
      imports: [
        EtcdModule.forRoot({ client: { endpoints: env.ETCD_ENDPOINTS.split(',') }, sessionTtlSeconds: env.ETCD_SESSION_TTL_SECONDS }),
        DiscoveryModule.forRoot({ service: 'greeter', address, metadata: { version: env.GREETER_VERSION, zone: env.GREETER_ZONE, instance: env.INSTANCE_NAME } }),
        ConfigCenterModule.forRoot({
          namespace: env.CONFIG_NAMESPACE,
          schema: greetingConfigSchema,
          defaultValue: DEFAULT_GREETING_CONFIG,
          storeSchema: true,
          reportAs: env.INSTANCE_NAME,
        }),
      ],
      controllers: [GreeterController],
      providers: [
        { provide: GREETER_ENV, useValue: env },
        { provide: LOGGER, useValue: log },
        GreeterLifecycle,
      ],
    };
  }
}
