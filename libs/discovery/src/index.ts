export { ServiceRegistry, register } from './service-registry';
export type { ServiceRegistryOptions, RegisterOptions, RegisterWithSessionOptions } from './service-registry';
export { Registration } from './registration';
export type { RegistrationState } from './registration';
export { discover, ServiceWatcher } from './service-watcher';
export type { DiscoverOptions } from './service-watcher';
export { listInstances } from './inventory';
export type { ListInstancesOptions, InstancePresence, Inventory } from './inventory';
export {
  DEFAULT_SERVICE_PREFIX,
  assertServiceName,
  decodeInstance,
  encodeInstanceValue,
  instanceKey,
  isValidAddress,
  normalizePrefix,
  servicePrefix,
  validateMetadata,
} from './naming';
export { DiscoveryArgumentError, InvalidInstanceError } from './errors';
export type { DiscoveryErrorCode } from './errors';
export type { InstanceMetadata, ServiceInstance } from './service-instance';
export { advertiseHostSchema, pickFreePort, resolveAdvertiseHost } from './listen-address';
