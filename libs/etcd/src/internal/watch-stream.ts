import type { Etcd3, IWatchCreateRequest, IWatchRequest, IWatchResponse } from 'etcd3';
import { EtcdPatternsError } from '../errors';
import { isStaleAuthToken, toEtcdError } from '../grpc-errors';
import { openRawStream, type RawDuplex } from './raw-stream';

/** One watch carried by a {@link WatchStream}. */
export interface WatchTarget {
  /** A response of this watch: its `created` answer, its events, or its cancellation. */
  deliver(res: IWatchResponse): void;
  /** The stream failed: this watch gets nothing more from it. */
  fail(error: EtcdPatternsError): void;
}

/**
 * The shared streams of each client, by liveness setting. State of the client (not of the
 * module): a WeakMap entry lives and dies with its `Etcd3` object.
 */
const shared = new WeakMap<Etcd3, Map<number, Promise<WatchStream>>>();

/**
 * One gRPC Watch stream carrying many watches, as etcd's Go client and etcd3's Watcher do: a
 * single stream costs etcd one send loop and lets it batch the events of watchers that fall
 * behind into one response each, where a stream per watch costs a response per watch per
 * revision (measured: 20x more responses at 100 watchers, see bench/src/scale/watch.scale.ts).
 *
 * A create is answered (`created`) in the order it was sent, so creates are matched with their
 * answers first-in first-out. The stream is never paused: one watch's consumer must not stall
 * the others, so backpressure is per watch (a target cancels its watch and creates it again
 * later, see `WatchConnection`). A member that stops answering is probed with a progress
 * request after `livenessMs` of silence and the stream fails after as long again; a failure
 * reaches every watch. The stream closes when its last watch leaves.
 */
export class WatchStream {
  private readonly byId = new Map<string, WatchTarget>();
  private readonly idOf = new Map<WatchTarget, string>();
  /** Creates sent and not yet answered, in order; `undefined`: its watch left meanwhile. */
  private readonly creating: Array<WatchTarget | undefined> = [];
  private readonly members = new Set<WatchTarget>();
  /** `retired`: takes no new watches (its auth token went stale) but serves the ones it has. */
  private state: 'open' | 'retired' | 'closed' = 'open';
  private lastMessageAt = performance.now();
  private probeSent = false;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly stream: RawDuplex<IWatchRequest, IWatchResponse>,
    private readonly livenessMs: number,
    private readonly onGone: () => void,
  ) {
    stream.on('data', (res: IWatchResponse) => this.onData(res));
    stream.on('error', (error: Error) => this.fail(toEtcdError(error, 'watch stream')));
    stream.on('end', () => this.fail(new EtcdPatternsError('ETCD_UNAVAILABLE', 'watch stream ended by the member')));
    this.timer = setInterval(() => this.checkLiveness(), Math.max(50, livenessMs / 2));
    this.timer.unref();
  }

  /**
   * Creates a watch for `target` on the client's shared stream for `livenessMs`, opening one on
   * some member if there is none. `target` receives the `created` answer and what follows.
   * @throws what opening the stream throws.
   */
  static async watch(client: Etcd3, livenessMs: number, target: WatchTarget, create: IWatchCreateRequest): Promise<WatchStream> {
    for (;;) {
      const stream = await WatchStream.shared(client, livenessMs);
      // Checked and used in one synchronous step: a stream found closed (its last watch left
      // while this call waited) is out of the registry already, so the next turn opens another.
      if (stream.state === 'open') {
        stream.create(target, create);
        return stream;
      }
    }
  }

  private static shared(client: Etcd3, livenessMs: number): Promise<WatchStream> {
    let byLiveness = shared.get(client);
    if (!byLiveness) shared.set(client, (byLiveness = new Map()));
    const existing = byLiveness.get(livenessMs);
    if (existing) return existing;
    const registry = byLiveness;
    const forget = (): void => {
      if (registry.get(livenessMs) === opening) registry.delete(livenessMs);
    };
    const opening: Promise<WatchStream> = openRawStream<IWatchRequest, IWatchResponse>(client, 'Watch', 'watch').then(
      (raw) => new WatchStream(raw, livenessMs, forget),
    );
    opening.catch(forget);
    registry.set(livenessMs, opening);
    return opening;
  }

  /** Sends a create for `target` (a new watch, or one resumed after a pause). No-op once closed. */
  create(target: WatchTarget, create: IWatchCreateRequest): void {
    if (this.state === 'closed') return;
    this.members.add(target);
    this.creating.push(target);
    this.stream.write({ create_request: create });
  }

  /** Cancels `target`'s watch: nothing more is delivered for it until it creates one again. */
  stop(target: WatchTarget): void {
    const pending = this.creating.indexOf(target);
    if (pending >= 0) this.creating[pending] = undefined; // cancelled when its answer comes
    const id = this.idOf.get(target);
    if (id === undefined) return;
    this.idOf.delete(target);
    this.byId.delete(id);
    if (this.state !== 'closed') this.stream.write({ cancel_request: { watch_id: id } });
  }

  /** `target` is done with this stream; the stream closes after its last watch. */
  leave(target: WatchTarget): void {
    if (!this.members.delete(target)) return;
    this.stop(target);
    if (this.members.size === 0) this.close();
  }

  private onData(res: IWatchResponse): void {
    this.lastMessageAt = performance.now();
    this.probeSent = false;
    if (res.created) {
      const target = this.creating.shift();
      if (res.canceled) {
        // Refused (permission, stale token, compacted): the answer is the target's to explain.
        if (target) this.members.delete(target);
        // The token went with the stream's metadata: new watches need a new stream.
        if (isStaleAuthToken(res.cancel_reason)) this.retire();
        target?.deliver(res);
        if (this.members.size === 0 && this.state === 'retired') this.close();
        return;
      }
      if (!target) {
        this.stream.write({ cancel_request: { watch_id: res.watch_id } });
        return;
      }
      this.byId.set(res.watch_id, target);
      this.idOf.set(target, res.watch_id);
      target.deliver(res);
      return;
    }
    // Unknown ids: a watch cancelled here whose events were already on the way, the answer to
    // a cancel, or a progress answer for the whole stream (watch_id -1). Liveness only.
    const target = this.byId.get(res.watch_id);
    if (!target) return;
    if (res.canceled) {
      // Cancelled by etcd (compaction): say so back, or the member keeps the watch's entry
      // for the life of the stream.
      this.byId.delete(res.watch_id);
      this.idOf.delete(target);
      this.stream.write({ cancel_request: { watch_id: res.watch_id } });
    }
    target.deliver(res);
  }

  private retire(): void {
    if (this.state !== 'open') return;
    this.state = 'retired';
    this.onGone();
  }

  private close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.onGone();
    clearInterval(this.timer);
    this.stream.removeAllListeners('data');
    // Our own cancel is not a member failure: drop the pool's error listener first, or the
    // pool would count it against the member's circuit breaker.
    this.stream.removeAllListeners('error');
    this.stream.on('error', () => undefined);
    this.stream.cancel();
  }

  private fail(error: EtcdPatternsError): void {
    if (this.state === 'closed') return;
    const targets = [...this.members];
    this.members.clear();
    this.byId.clear();
    this.idOf.clear();
    this.creating.length = 0;
    this.close();
    for (const target of targets) target.fail(error);
  }

  private checkLiveness(): void {
    const silentMs = performance.now() - this.lastMessageAt;
    if (silentMs < this.livenessMs) return;
    if (!this.probeSent) {
      this.probeSent = true;
      this.stream.write({ progress_request: {} });
      return;
    }
    if (silentMs >= this.livenessMs * 2) {
      this.fail(new EtcdPatternsError('ETCD_UNAVAILABLE', `watch stream silent for ${Math.round(silentMs)} ms`));
    }
  }
}
