import type { ClientDuplexStream, Metadata } from '@grpc/grpc-js';
import type { Etcd3 } from 'etcd3';
import { poolOf } from './pool';
import { isStaleAuthToken } from '../grpc-errors';

/**
 * Drops the pool's cached auth token, so the next call or stream authenticates again. etcd3
 * does this itself for unary calls that fail with "invalid auth token"; streams opened through
 * {@link openRawStream} carry the cached token and need it done for them.
 */
export function refreshAuthToken(client: Etcd3): void {
  const pool = poolOf(client) as unknown as { authenticator?: { invalidateMetadata(): void } };
  pool.authenticator?.invalidateMetadata();
}

/** A bidirectional etcd stream as grpc-js returns it (a Node Duplex in object mode). */
export type RawDuplex<Req, Res> = ClientDuplexStream<Req, Res>;

/**
 * Opens a raw bidirectional stream (`Watch.watch`, `Lease.leaseKeepAlive`) on one member
 * chosen by the pool, with the auth token and `hasleader: true`, so a member cut off from its
 * quorum refuses the stream instead of hanging. A stream error marks the member as failing
 * so the next open prefers another one; an expired auth token instead drops the cached token,
 * so the next open authenticates again.
 */
export async function openRawStream<Req, Res>(
  client: Etcd3,
  service: 'Watch' | 'Lease',
  method: 'watch' | 'leaseKeepAlive',
): Promise<RawDuplex<Req, Res>> {
  const pool = poolOf(client);
  return pool.withConnection(service, ({ resource, client: grpcClient, metadata }) => {
    const md: Metadata = metadata.clone();
    md.set('hasleader', 'true');
    const open = (grpcClient as unknown as Record<string, (md: Metadata, opts: object) => RawDuplex<Req, Res>>)[method];
    const stream = open!.call(grpcClient, md, {});
    stream.on('error', (error: Error) => {
      if (isStaleAuthToken(error)) refreshAuthToken(client);
      else pool.markFailed(resource, error);
    });
    return stream;
  });
}
