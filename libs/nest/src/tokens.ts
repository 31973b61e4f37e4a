/** Injection token of the shared `Etcd3` client. */
export const ETCD_CLIENT = Symbol('ETCD_CLIENT');
/** Injection token of the process's `SessionKeeper` (one lease per process). */
export const ETCD_SESSION_KEEPER = Symbol('ETCD_SESSION_KEEPER');
