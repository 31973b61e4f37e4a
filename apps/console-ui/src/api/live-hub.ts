// The tab's way to the live streams: through the live SharedWorker (one connection for every
// tab of this browser), or, where SharedWorker is missing or fails to start, through a LiveMux of
// its own (one connection for this tab).
import { LiveMux, type LiveSink } from './live-mux';
import type { TabMessage, WorkerMessage } from './live-worker';

interface Hub {
  subscribe(id: string, sink: LiveSink): () => void;
}

function eventsUrl(): string {
  return new URL('/api/events', window.location.href).href;
}

class WorkerHub implements Hub {
  private readonly sinks = new Map<number, LiveSink>();
  private next = 1;

  constructor(private readonly port: MessagePort) {
    port.onmessage = (message: MessageEvent<WorkerMessage>) => {
      const data = message.data;
      const sink = this.sinks.get(data.sub);
      if (!sink) return;
      if ('event' in data) sink.event(data.event);
      else sink.status(data.status);
    };
    port.start();
    this.post({ type: 'hello', eventsUrl: eventsUrl() });
    // Held until this tab is gone: then the worker gets it and drops this tab's subscriptions.
    // (Web Locks need a secure context: loopback is one. Elsewhere, unsubscribe on pagehide.)
    if (navigator.locks) {
      const lock = `console-live-tab-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
      void navigator.locks
        .request(lock, () => {
          // Tell the worker the lock's name only once it is held, or it could take it first.
          this.post({ type: 'lock', lock });
          return new Promise<never>(() => undefined);
        })
        .catch(() => undefined);
    } else {
      window.addEventListener('pagehide', () => {
        for (const sub of this.sinks.keys()) this.post({ type: 'unsubscribe', sub });
      });
    }
  }

  subscribe(id: string, sink: LiveSink): () => void {
    const sub = this.next++;
    this.sinks.set(sub, sink);
    this.post({ type: 'subscribe', sub, id });
    return () => {
      if (!this.sinks.delete(sub)) return;
      this.post({ type: 'unsubscribe', sub });
    };
  }

  private post(message: TabMessage): void {
    this.port.postMessage(message);
  }
}

let hub: Hub | undefined;

function makeHub(): Hub {
  if (typeof SharedWorker === 'function') {
    try {
      const worker = new SharedWorker(new URL('./live-worker.ts', import.meta.url), { name: 'console-live' });
      return new WorkerHub(worker.port);
    } catch {
      // CSP, private mode or an old browser: one connection for this tab instead
    }
  }
  return new LiveMux({ eventsUrl: eventsUrl() });
}

/**
 * Subscribes to live stream `id` (`services`, `keys:/app/`, ...): the sink gets the stream's
 * snapshot, then its events, and the connection's status; never synchronously. Returns the
 * unsubscribe.
 */
export function subscribeLive(id: string, sink: LiveSink): () => void {
  hub ??= makeHub();
  return hub.subscribe(id, sink);
}
