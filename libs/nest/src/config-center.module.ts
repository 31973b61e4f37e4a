import { ConfigurableModuleBuilder, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { reportApplied, storeZodSchema, watchConfig, type AppliedReporter, type HotConfig } from '@etcd-patterns/config';
import type { Etcd3, SessionKeeper } from '@etcd-patterns/etcd';
import type { z } from 'zod';
import { ETCD_CLIENT, ETCD_SESSION_KEEPER } from './tokens';

/** Injection token of the app's hot config. */
export const HOT_CONFIG = Symbol('HOT_CONFIG');

/** Injects the {@link HotConfig} provided by {@link ConfigCenterModule}. */
export const InjectHotConfig = (): ParameterDecorator => Inject(HOT_CONFIG);

/** Options of {@link ConfigCenterModule}. */
export interface ConfigCenterModuleOptions {
  /** `env/app`, e.g. `prod/greeter`. */
  readonly namespace: string;
  /** Every value is validated with it; invalid changes are never applied. */
  readonly schema: z.ZodType;
  /** Used until something is published, so start-up does not wait for a publish. */
  readonly defaultValue?: unknown;
  /** Root prefix (default `/config`). */
  readonly root?: string;
  /** How long start-up waits for the first valid value, in ms (default 10000). */
  readonly readyTimeoutMs?: number;
  /** Invalid changes and watch errors; default: ignored (the last good value stays). */
  readonly onError?: (error: Error) => void;
  /**
   * Store `schema` (its JSON Schema form) as the namespace's stored schema at start, so that
   * `epctl config publish` refuses what this app would refuse (default false; see
   * `storeZodSchema` for what a JSON Schema cannot express).
   */
  readonly storeSchema?: boolean;
  /**
   * This replica's name: when set, what it applied (and the last version it refused, with the
   * reason) is reported under `<root>/_applied/<env>/<app>/<name>` on the process's lease.
   */
  readonly reportAs?: string;
}

/** Injection token of the applied-config reporter (null without `reportAs`). */
const APPLIED_REPORTER = Symbol('APPLIED_REPORTER');

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } = new ConfigurableModuleBuilder<ConfigCenterModuleOptions>()
  .setClassMethodName('forRoot')
  .build();

class HotConfigLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(HOT_CONFIG) private readonly hot: HotConfig<unknown>,
    @Inject(APPLIED_REPORTER) private readonly reporter: AppliedReporter | null,
  ) {}
  async onApplicationShutdown(): Promise<void> {
    await this.reporter?.close();
    await this.hot.close();
  }
}

/**
 * A typed, hot-reloaded configuration from the config center, injected with
 * `@InjectHotConfig() config: HotConfig<T>`. Start-up waits for the first valid value (or the
 * default) and fails after `readyTimeoutMs`. Read `config.current` where the value is used, or
 * `config.subscribe(...)` to react to changes; nothing restarts.
 */
@Module({
  providers: [
    {
      provide: HOT_CONFIG,
      inject: [ETCD_CLIENT, MODULE_OPTIONS_TOKEN],
      useFactory: async (client: Etcd3, options: ConfigCenterModuleOptions) => {
        if (options.storeSchema) await storeZodSchema({ client, namespace: options.namespace, root: options.root, schema: options.schema });
        const hot = watchConfig({
          client,
          namespace: options.namespace,
          root: options.root,
          schema: options.schema,
          defaultValue: options.defaultValue as never,
          onError: options.onError,
        });
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no valid configuration for ${options.namespace} within ${options.readyTimeoutMs ?? 10_000} ms`)),
            options.readyTimeoutMs ?? 10_000,
          );
        });
        try {
          await Promise.race([hot.ready, timeout]);
        } catch (error) {
          hot.close();
          throw error;
        } finally {
          clearTimeout(timer);
        }
        return hot;
      },
    },
    {
      provide: APPLIED_REPORTER,
      inject: [ETCD_CLIENT, ETCD_SESSION_KEEPER, HOT_CONFIG, MODULE_OPTIONS_TOKEN],
      useFactory: (client: Etcd3, keeper: SessionKeeper, hot: HotConfig<unknown>, options: ConfigCenterModuleOptions) =>
        options.reportAs === undefined
          ? null
          : reportApplied({ client, hot, namespace: options.namespace, root: options.root, instance: options.reportAs, session: keeper, onError: options.onError }),
    },
    HotConfigLifecycle,
  ],
  exports: [HOT_CONFIG],
})
export class ConfigCenterModule extends ConfigurableModuleClass {}
