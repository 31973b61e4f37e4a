import 'reflect-metadata';
export { ETCD_CLIENT, ETCD_SESSION_KEEPER } from './tokens';
export { EtcdModule } from './etcd.module';
export type { EtcdModuleOptions } from './etcd.module';
export { DiscoveryModule, DiscoveryRegistrar, DiscoveryHealthIndicator } from './discovery.module';
export type { DiscoveryModuleOptions } from './discovery.module';
