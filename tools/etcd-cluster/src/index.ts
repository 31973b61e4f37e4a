export { EtcdCluster } from './etcd-cluster';
export type { EtcdClusterOptions } from './etcd-cluster';
export { EtcdMember } from './etcd-member';
export type { EtcdMemberSpec } from './etcd-member';
export { etcdctl, spawnEtcdctl } from './etcdctl';
export type { EtcdctlResult } from './etcdctl';
export { findEtcdBinary, findEtcdctlBinary, EtcdBinaryNotFoundError } from './find-etcd';
export { freePort } from './free-port';
