import type { Etcd3, ICallable } from 'etcd3';

/**
 * The connection pool behind an etcd3 client. etcd3 keeps it protected; the libraries here
 * need it for raw streams with their own metadata (watch `hasleader`), their own decoders and
 * the wrappers around its calls (read retry, timing).
 */
export function poolOf(client: Etcd3): ICallable<unknown> {
  return (client as unknown as { pool: ICallable<unknown> }).pool;
}
