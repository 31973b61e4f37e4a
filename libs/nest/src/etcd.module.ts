import { ConfigurableModuleBuilder, Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { createEtcdClient, SessionKeeper, type CreateEtcdClientOptions, type Etcd3 } from '@etcd-patterns/etcd';
import { ETCD_CLIENT, ETCD_SESSION_KEEPER } from './tokens';

/** Options of {@link EtcdModule}. */
export interface EtcdModuleOptions {
  /** Client options; anything left out comes from `ETCD_*` environment variables. */
  readonly client?: CreateEtcdClientOptions;
  /** TTL of the process's shared lease, in seconds (default 10). */
  readonly sessionTtlSeconds?: number;
}

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } = new ConfigurableModuleBuilder<EtcdModuleOptions>()
  .setClassMethodName('forRoot')
  .build();

/** Closes the keeper (revoking the lease) and then the client when the app shuts down. */
class EtcdLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(ETCD_CLIENT) private readonly client: Etcd3,
    @Inject(ETCD_SESSION_KEEPER) private readonly keeper: SessionKeeper,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.keeper.close();
    this.client.close();
  }
}

/**
 * Provides the one etcd client of the app (`ETCD_CLIENT`) and its shared lease
 * (`ETCD_SESSION_KEEPER`). Global: import it once, with `EtcdModule.forRoot({...})` or
 * `forRootAsync`. Start-up fails with a typed error when etcd cannot be reached.
 */
@Global()
@Module({
  providers: [
    {
      provide: ETCD_CLIENT,
      inject: [MODULE_OPTIONS_TOKEN],
      useFactory: (options: EtcdModuleOptions) => createEtcdClient(options.client),
    },
    {
      provide: ETCD_SESSION_KEEPER,
      inject: [ETCD_CLIENT, MODULE_OPTIONS_TOKEN],
      useFactory: (client: Etcd3, options: EtcdModuleOptions) =>
        SessionKeeper.start(client, { ttlSeconds: options.sessionTtlSeconds ?? 10 }),
    },
    EtcdLifecycle,
  ],
  exports: [ETCD_CLIENT, ETCD_SESSION_KEEPER],
})
export class EtcdModule extends ConfigurableModuleClass {}
