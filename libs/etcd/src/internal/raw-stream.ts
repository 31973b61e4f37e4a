import type { ClientDuplexStream, Metadata } from '@grpc/grpc-js';
import type { Etcd3 } from 'etcd3';
import { poolOf } from '../create-client';

/** A bidirectional etcd stream as grpc-js returns it (a Node Duplex in object mode). */
export type RawDuplex<Req, Res> = ClientDuplexStream<Req, Res>;

/**
 * Opens a raw bidirectional stream (`Watch.watch`, `Lease.leaseKeepAlive`) on one member
 * chosen by the pool, with the auth token and `hasleader: true`, so a member cut off from its
 * quorum refuses the stream instead of hanging. A stream error marks the member as failing
 * so the next open prefers another one.
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
    stream.on('error', (error: Error) => pool.markFailed(resource, error));
    return stream;
  });
}
