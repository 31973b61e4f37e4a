import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';

/** Every open live stream, so shutdown can end them (and their watches) before the server closes. */
@Injectable()
export class LiveStreams implements BeforeApplicationShutdown {
  private readonly open = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  /** Fires at shutdown. */
  get signal(): AbortSignal {
    return this.stopping.signal;
  }

  /** Tracks a running stream until it ends. */
  track(stream: Promise<void>): void {
    this.open.add(stream);
    void stream.finally(() => this.open.delete(stream));
  }

  /** Number of open streams. */
  get size(): number {
    return this.open.size;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.open]);
  }
}
