import { discover, type ServiceInstance, type ServiceWatcher } from '@etcd-patterns/discovery';
import type { Etcd3, EtcdPatternsError } from '@etcd-patterns/etcd';
import { experimental, status, type ChannelOptions } from '@grpc/grpc-js';
import { INSTANCE_METADATA_KEY, INSTANCE_SERVICE_KEY } from './instance-attributes';
import { matchesTarget, parseEtcdTarget, type EtcdTarget } from './target';

/** Options for {@link registerEtcdResolver}. */
export interface EtcdResolverOptions {
  /** The etcd client the resolvers watch with (one watch per channel). */
  readonly client: Etcd3;
  /** Registration root prefix (default `/services`). */
  readonly prefix?: string;
  /** URI scheme (default `etcd`, for `etcd:///service`). */
  readonly scheme?: string;
  /** Called after each push of a resolved list to a channel, for logs and metrics. */
  readonly onResolved?: (target: string, instances: readonly ServiceInstance[]) => void;
  /** Called with watch errors and malformed registrations (the channel keeps its list). */
  readonly onError?: (target: string, error: EtcdPatternsError) => void;
}

/**
 * Per-channel instance selection beyond the target's query string: pass
 * `{ [INSTANCE_FILTER_OPTION]: (instance) => boolean }` in the channel options.
 */
export const INSTANCE_FILTER_OPTION = `${experimental.SUBCHANNEL_ARGS_EXCLUDE_KEY_PREFIX}etcd_patterns.instance_filter`;

function toEndpoint(instance: ServiceInstance): experimental.Endpoint {
  const split = experimental.splitHostPort(instance.address);
  const host = (split?.host ?? instance.address).replace(/^\[|\]$/g, '');
  return { addresses: [{ host, port: split?.port ?? 0 }] };
}

/**
 * Registers the `etcd` scheme with grpc-js, so any grpc-js channel (plain, or a NestJS gRPC
 * client with `url: 'etcd:///greeter'`) resolves services from the registry. Call it once per
 * process, before the first channel is created. Returns the scheme.
 *
 * Each channel gets its own discovery watch. Full address lists are pushed whenever the
 * registry changes, never synchronously and never after `destroy()`; instance metadata
 * reaches the balancer through {@link INSTANCE_METADATA_KEY}. While the watch is live,
 * grpc-js's re-resolution requests (sent on every connection flap) do nothing: the watch
 * already pushes every change. A channel that went idle is restarted by `updateResolution()`.
 * When etcd is unreachable the channel keeps its last list. A service with no instance fails
 * calls with UNAVAILABLE "no instances of <service> in etcd".
 */
export function registerEtcdResolver(options: EtcdResolverOptions): string {
  const scheme = options.scheme ?? 'etcd';

  class EtcdResolver implements experimental.Resolver {
    private readonly target: EtcdTarget;
    private readonly targetText: string;
    private readonly filter: ((instance: ServiceInstance) => boolean) | undefined;
    private watcher: ServiceWatcher | undefined;
    private generation = 0;

    constructor(
      target: experimental.GrpcUri,
      private readonly listener: experimental.ResolverListener,
      channelOptions: ChannelOptions,
    ) {
      this.targetText = experimental.uriToString(target);
      this.target = parseEtcdTarget(target.path);
      const filter = (channelOptions as Record<string, unknown>)[INSTANCE_FILTER_OPTION];
      this.filter = typeof filter === 'function' ? (filter as (i: ServiceInstance) => boolean) : undefined;
    }

    static getDefaultAuthority(target: experimental.GrpcUri): string {
      return parseEtcdTarget(target.path).service;
    }

    updateResolution(): void {
      if (this.watcher) return; // the live watch pushes every change; nothing to do
      const generation = ++this.generation;
      const watcher = discover({
        client: options.client,
        service: this.target.service,
        prefix: options.prefix,
        filter: (i) => matchesTarget(this.target, i) && (this.filter?.(i) ?? true),
        onError: (e) => options.onError?.(this.targetText, e),
        onInvalid: (e) => options.onError?.(this.targetText, e),
      });
      this.watcher = watcher;
      void (async () => {
        for await (const list of watcher) {
          // Iteration is async, so this is never synchronous with updateResolution().
          if (generation !== this.generation) return;
          this.push(list);
        }
      })();
    }

    destroy(): void {
      this.generation++;
      this.watcher?.close();
      this.watcher = undefined;
    }

    private push(list: readonly ServiceInstance[]): void {
      if (list.length === 0) {
        this.listener(
          experimental.statusOrFromError({
            code: status.UNAVAILABLE,
            details: `no instances of ${this.target.service} in etcd${Object.keys(this.target.match).length ? ` matching ${JSON.stringify(this.target.match)}` : ''}`,
          }),
          {},
          null,
          'etcd',
        );
      } else {
        const metadata = new Map(list.map((i) => [i.address, i.metadata]));
        const attributes = { [INSTANCE_METADATA_KEY]: metadata, [INSTANCE_SERVICE_KEY]: this.target.service };
        this.listener(experimental.statusOrFromValue(list.map(toEndpoint)), attributes, null, 'etcd');
      }
      options.onResolved?.(this.targetText, list);
    }
  }

  experimental.registerResolver(scheme, EtcdResolver);
  return scheme;
}
