import type { Etcd3, IWatchRequest, IWatchResponse } from 'etcd3';
import { EtcdPatternsError } from '../errors';
import { toEtcdError } from '../grpc-errors';
import { openRawStream, type RawDuplex } from './raw-stream';
import { ResponseQueue } from './response-queue';

/** Settings of one watch stream. */
export interface WatchConnectionOptions {
  /** Events buffered before the stream is paused (backpressure). */
  readonly bufferEvents: number;
  /** Silence after which the member is asked for progress, and again after which it is dropped. */
  readonly livenessMs: number;
  /** Called with the number of events of each response received (before it is queued). */
  readonly onReceived?: (events: number) => void;
}

/**
 * One Watch stream carrying one prefix watch. Responses are queued for a single reader;
 * the stream is paused while the reader is behind. A member that stops answering (paused,
 * partitioned without a TCP reset) is detected by asking it for progress after `livenessMs`
 * of silence and failing the connection after as long again.
 */
export class WatchConnection {
  private readonly queue: ResponseQueue<IWatchResponse>;
  private lastMessageAt = performance.now();
  private probeSent = false;
  private paused = false;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly stream: RawDuplex<IWatchRequest, IWatchResponse>,
    private readonly options: WatchConnectionOptions,
  ) {
    this.queue = new ResponseQueue(options.bufferEvents, (paused) => {
      this.paused = paused;
      if (paused) stream.pause();
      else {
        this.lastMessageAt = performance.now();
        stream.resume();
      }
    });
    stream.on('data', (res: IWatchResponse) => {
      this.lastMessageAt = performance.now();
      this.probeSent = false;
      this.options.onReceived?.(res.events?.length ?? 0);
      this.queue.push(res, Math.max(1, res.events?.length ?? 0));
    });
    stream.on('error', (error: Error) => this.queue.fail(toEtcdError(error, 'watch stream')));
    stream.on('end', () => this.queue.fail(new EtcdPatternsError('ETCD_UNAVAILABLE', 'watch stream ended by the member')));
    this.timer = setInterval(() => this.checkLiveness(), Math.max(50, options.livenessMs / 2));
    this.timer.unref();
  }

  /** Opens a stream on some member and sends the create request. */
  static async open(client: Etcd3, create: IWatchRequest, options: WatchConnectionOptions): Promise<WatchConnection> {
    const stream = await openRawStream<IWatchRequest, IWatchResponse>(client, 'Watch', 'watch');
    const connection = new WatchConnection(stream, options);
    stream.write(create);
    return connection;
  }

  /** The next response; throws when the stream fails. */
  next(signal: AbortSignal): Promise<IWatchResponse | undefined> {
    return this.queue.next(signal);
  }

  /** Cancels the stream. Idempotent. */
  close(): void {
    clearInterval(this.timer);
    this.queue.end();
    this.stream.removeAllListeners('data');
    // Our own cancel is not a member failure: drop the pool's error listener first, or the
    // pool would count it against the member's circuit breaker.
    this.stream.removeAllListeners('error');
    this.stream.on('error', () => undefined);
    this.stream.cancel();
  }

  private checkLiveness(): void {
    if (this.paused) return;
    const silentMs = performance.now() - this.lastMessageAt;
    if (silentMs < this.options.livenessMs) return;
    if (!this.probeSent) {
      this.probeSent = true;
      this.stream.write({ progress_request: {} });
      return;
    }
    if (silentMs >= this.options.livenessMs * 2) {
      this.queue.fail(new EtcdPatternsError('ETCD_UNAVAILABLE', `watch stream silent for ${Math.round(silentMs)} ms`));
    }
  }
}
