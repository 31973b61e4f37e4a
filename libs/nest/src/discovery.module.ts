import { ConfigurableModuleBuilder, Inject, Injectable, Module, type BeforeApplicationShutdown } from '@nestjs/common';
import { ServiceRegistry, type InstanceMetadata, type Registration, type RegistrationState } from '@etcd-patterns/discovery';
import type { SessionKeeper } from '@etcd-patterns/etcd';
import { ETCD_SESSION_KEEPER } from './tokens';

/** Options of {@link DiscoveryModule}. */
export interface DiscoveryModuleOptions {
  /** Service name to register as. */
  readonly service: string;
  /** `host:port` clients should dial. */
  readonly address: string;
  /** `version`, `zone`, `weight`, any JSON. */
  readonly metadata?: InstanceMetadata;
  /** Root prefix (default `/services`). */
  readonly prefix?: string;
}

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } = new ConfigurableModuleBuilder<DiscoveryModuleOptions>()
  .setClassMethodName('forRoot')
  .build();

/**
 * Registers the app in etcd and removes it on shutdown. Call `register()` after
 * `app.listen()` (Nest does not tell providers when the server is accepting); the key is
 * deleted in `beforeApplicationShutdown`, before the server drains.
 */
@Injectable()
export class DiscoveryRegistrar implements BeforeApplicationShutdown {
  private readonly registry: ServiceRegistry;
  private registration: Registration | undefined;

  constructor(
    @Inject(MODULE_OPTIONS_TOKEN) private readonly options: DiscoveryModuleOptions,
    @Inject(ETCD_SESSION_KEEPER) keeper: SessionKeeper,
  ) {
    this.registry = new ServiceRegistry({ session: keeper, prefix: options.prefix });
  }

  /** Registers the app (idempotent); resolves once the key is in etcd. */
  async register(options: { signal?: AbortSignal } = {}): Promise<Registration> {
    this.registration ??= await this.registry.register({ ...this.options, signal: options.signal });
    return this.registration;
  }

  /** The registration, once `register()` resolved. */
  get current(): Registration | undefined {
    return this.registration;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.registry.close();
  }
}

/** Readiness of the registration, for health endpoints. */
@Injectable()
export class DiscoveryHealthIndicator {
  // Explicit @Inject: runtimes without decorator metadata (tsx/esbuild) must work too.
  constructor(@Inject(DiscoveryRegistrar) private readonly registrar: DiscoveryRegistrar) {}

  /** `up` while the instance is registered on a live lease. */
  check(): { status: 'up' | 'down'; state: RegistrationState | 'unregistered' } {
    const state = this.registrar.current?.state ?? 'unregistered';
    return { status: state === 'registered' ? 'up' : 'down', state };
  }
}

/** Registration of the app in etcd, with a health indicator. Needs {@link EtcdModule}. */
@Module({ providers: [DiscoveryRegistrar, DiscoveryHealthIndicator], exports: [DiscoveryRegistrar, DiscoveryHealthIndicator] })
export class DiscoveryModule extends ConfigurableModuleClass {}
