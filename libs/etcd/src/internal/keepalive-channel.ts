import type { Etcd3, ILeaseKeepAliveRequest, ILeaseKeepAliveResponse } from 'etcd3';
import { abortError, EtcdPatternsError } from '../errors';
import { toEtcdError } from '../grpc-errors';
import { openRawStream, type RawDuplex } from './raw-stream';

/**
 * One lease's keepalive stream: `send()` writes a keepalive and resolves with the TTL etcd
 * granted (0 when the lease is gone). One request in flight at a time. A stream that errors,
 * ends or does not answer in time is dropped; the next `send()` opens a new one, usually on
 * another member.
 */
export class KeepaliveChannel {
  private stream: RawDuplex<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse> | undefined;
  private closed = false;

  constructor(
    private readonly client: Etcd3,
    private readonly leaseId: string,
  ) {}

  async send(timeoutMs: number, signal: AbortSignal): Promise<number> {
    const stream = (this.stream ??= await openRawStream(this.client, 'Lease', 'leaseKeepAlive'));
    if (this.closed) {
      stream.cancel();
      throw new EtcdPatternsError('ETCD_CLIENT_CLOSED', 'keepalive closed');
    }
    return new Promise<number>((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        stream.removeListener('data', onData);
        stream.removeListener('error', onError);
        stream.removeListener('end', onEnd);
        signal.removeEventListener('abort', onAbort);
      };
      const onData = (res: ILeaseKeepAliveResponse): void => {
        if (res.ID !== this.leaseId) return;
        cleanup();
        resolve(Number(res.TTL));
      };
      const onError = (error: Error): void => {
        cleanup();
        reject(toEtcdError(error, 'lease keepalive'));
      };
      const onEnd = (): void => {
        cleanup();
        reject(new EtcdPatternsError('ETCD_UNAVAILABLE', 'lease keepalive stream ended'));
      };
      const onAbort = (): void => {
        cleanup();
        reject(abortError(signal));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new EtcdPatternsError('ETCD_DEADLINE_EXCEEDED', `no keepalive answer within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      stream.on('data', onData);
      stream.on('error', onError);
      stream.on('end', onEnd);
      signal.addEventListener('abort', onAbort, { once: true });
      stream.write({ ID: this.leaseId });
    });
  }

  /** Drops the current stream; the next `send()` opens a new one. */
  reset(): void {
    const stream = this.stream;
    this.stream = undefined;
    if (stream) {
      stream.removeAllListeners('error'); // a local cancel is not a member failure
      stream.on('error', () => undefined);
      stream.cancel();
    }
  }

  /** Drops the stream for good. */
  close(): void {
    this.closed = true;
    this.reset();
  }
}
