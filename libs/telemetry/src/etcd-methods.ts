/**
 * etcd's own gRPC services (KV, Watch, Lease, Cluster, Maintenance, Auth, and the lock and
 * election services): every lock wait, lease keepalive and watch would otherwise add spans to
 * whatever trace is active, and keepalives alone would drown every trace.
 */
const ETCD_SERVICE = /^\/?(etcdserverpb|v3lockpb|v3electionpb)\./;

const ETCD_METHODS = new Set(
  [
    'Range', 'Put', 'DeleteRange', 'Txn', 'Compact', 'Watch', 'LeaseGrant', 'LeaseRevoke',
    'LeaseKeepAlive', 'LeaseTimeToLive', 'LeaseLeases', 'MemberAdd', 'MemberRemove', 'MemberUpdate',
    'MemberList', 'MemberPromote', 'Alarm', 'Status', 'Defragment', 'Hash', 'HashKV', 'Snapshot',
    'MoveLeader', 'Downgrade', 'AuthEnable', 'AuthDisable', 'AuthStatus', 'Authenticate', 'UserAdd',
    'UserGet', 'UserList', 'UserDelete', 'UserChangePassword', 'UserGrantRole', 'UserRevokeRole',
    'RoleAdd', 'RoleGet', 'RoleList', 'RoleDelete', 'RoleGrantPermission', 'RoleRevokePermission',
    'Lock', 'Unlock', 'Campaign', 'Proclaim', 'Leader', 'Observe', 'Resign',
  ].flatMap((m) => [m, m[0]!.toLowerCase() + m.slice(1)]),
);

/**
 * True for a method of etcd's own services. The gRPC instrumentation hands over either a bare
 * method name (`Range`, `range`) or `package.Service/Method`, depending on how the client was
 * built; the reference apps' methods (`SayHello`, `SubmitJob`, `GetJob`) never collide.
 */
export function isEtcdGrpcMethod(name: string): boolean {
  if (ETCD_SERVICE.test(name)) return true;
  return ETCD_METHODS.has(name.slice(name.lastIndexOf('/') + 1));
}
