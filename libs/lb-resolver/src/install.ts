import { registerEtcdResolver, type EtcdResolverOptions } from './etcd-resolver';
import { registerP2cPolicy } from './p2c-balancer';
import { registerWeightedRoundRobinPolicy } from './weighted-round-robin-balancer';

/**
 * One call at start-up, before any channel is created: registers the `etcd` resolver scheme
 * and the `etcd_p2c` and `etcd_weighted_round_robin` policies with grpc-js. There must be a
 * single copy of `@grpc/grpc-js` in the app (`npm ls @grpc/grpc-js`), or the registration
 * lands in a copy the channels do not use.
 */
export function installEtcdBalancing(options: EtcdResolverOptions): void {
  registerP2cPolicy();
  registerWeightedRoundRobinPolicy();
  registerEtcdResolver(options);
}
