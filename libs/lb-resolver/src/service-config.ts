import type { ClientOptions } from '@grpc/grpc-js';
import { idempotentRetryInterceptor } from './idempotent-retry';
import type { ServiceInstance } from '@etcd-patterns/discovery';
import { INSTANCE_FILTER_OPTION } from './etcd-resolver';
import { P2C_POLICY, type P2cPolicyConfig } from './p2c-balancer';
import { WEIGHTED_ROUND_ROBIN_POLICY } from './weighted-round-robin-balancer';

/** Balancing policies selectable per channel. */
export type BalancingPolicy = 'round_robin' | 'pick_first' | 'p2c' | 'weighted_round_robin';

/** Options for {@link etcdChannelOptions}. */
export interface EtcdChannelOptionsInput {
  /** Default `round_robin`. */
  readonly policy?: BalancingPolicy;
  /** The caller's zone, for zone affinity (`p2c` and `weighted_round_robin`). */
  readonly zone?: string;
  /** Tuning of `p2c`. */
  readonly p2c?: Omit<P2cPolicyConfig, 'zone'>;
  /**
   * Retry on UNAVAILABLE (what a draining or killed server returns), so rolling restarts
   * show no failed calls. Retry only what is safe: list the idempotent services
   * (`package.Service`), or `'all'` when every method of the channel is. Default `'all'`;
   * `false` disables it.
   */
  readonly retry?: false | 'all' | readonly string[];
  /** Attempts including the first (default 4, grpc-js caps it at 5). */
  readonly maxAttempts?: number;
  /** Per-channel instance selection, in addition to the target's query string. */
  readonly filter?: (instance: ServiceInstance) => boolean;
  /**
   * Services (or `'all'`) whose methods are idempotent: their unary calls are also repeated
   * after a server died mid-reply, which grpc-js's retry policy cannot do (see
   * {@link idempotentRetryInterceptor}). Default: none.
   */
  readonly idempotent?: 'all' | readonly string[];
}

/**
 * Client options for an `etcd:///service` channel: a service config with the balancing
 * policy and a retry policy on UNAVAILABLE, and for idempotent services a retry interceptor.
 * Pass them to any grpc-js client (or as `channelOptions` of a NestJS gRPC client).
 */
export function etcdChannelOptions(input: EtcdChannelOptionsInput = {}): ClientOptions {
  const policy = input.policy ?? 'round_robin';
  const lb =
    policy === 'p2c'
      ? { [P2C_POLICY]: { ...input.p2c, ...(input.zone ? { zone: input.zone } : {}) } }
      : policy === 'weighted_round_robin'
        ? { [WEIGHTED_ROUND_ROBIN_POLICY]: input.zone ? { zone: input.zone } : {} }
        : { [policy]: {} };
  const retry = input.retry ?? 'all';
  const methodConfig =
    retry === false
      ? []
      : [
          {
            name: retry === 'all' ? [{}] : retry.map((service) => ({ service })),
            retryPolicy: {
              maxAttempts: Math.min(5, Math.max(2, input.maxAttempts ?? 4)),
              initialBackoff: '0.05s',
              maxBackoff: '1s',
              backoffMultiplier: 2,
              retryableStatusCodes: ['UNAVAILABLE'],
            },
          },
        ];
  const options: Record<string, unknown> = {
    'grpc.service_config': JSON.stringify({ loadBalancingConfig: [lb], methodConfig }),
  };
  if (input.filter) options[INSTANCE_FILTER_OPTION] = input.filter;
  if (input.idempotent) {
    options['interceptors'] = [idempotentRetryInterceptor({ services: input.idempotent, maxAttempts: input.maxAttempts })];
  }
  return options as ClientOptions;
}
