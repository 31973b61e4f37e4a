// The live SharedWorker: one LiveMux (one multiplexed SSE connection) for every tab of the
// console in this browser. Tabs talk to it over their MessagePort (see live-hub.ts):
//   tab → worker  { type: 'hello', eventsUrl } | { type: 'lock', lock } | { type: 'subscribe', sub, id } | { type: 'unsubscribe', sub }
//   worker → tab  { sub, event } | { sub, status }
// A tab holds the Web Lock named `lock` for as long as it lives; the worker queues for the same
// lock and drops the tab's subscriptions when it gets it (the tab was closed or crashed). No
// heartbeats: background tabs have their timers throttled to once a minute.
import type { LiveEvent } from '@etcd-patterns/console-contract';
import { LiveMux, type LiveStatus } from './live-mux';

/** The parts of the SharedWorker and MessagePort globals used here (the app compiles with the DOM lib only). */
interface Port {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent) => void) | null;
  start(): void;
}
interface SharedWorkerScope {
  onconnect: ((event: MessageEvent) => void) | null;
  readonly navigator: { readonly locks?: { request(name: string, callback: () => unknown): Promise<unknown> } };
}

export type TabMessage =
  | { readonly type: 'hello'; readonly eventsUrl: string }
  | { readonly type: 'lock'; readonly lock: string }
  | { readonly type: 'subscribe'; readonly sub: number; readonly id: string }
  | { readonly type: 'unsubscribe'; readonly sub: number };
export type WorkerMessage = { readonly sub: number; readonly event: LiveEvent<unknown> } | { readonly sub: number; readonly status: LiveStatus };

const scope = globalThis as unknown as SharedWorkerScope;
let mux: LiveMux | undefined;

scope.onconnect = (connect: MessageEvent) => {
  const port = connect.ports[0] as unknown as Port;
  const subs = new Map<number, () => void>();
  let gone = false;
  const drop = (): void => {
    gone = true;
    for (const leave of subs.values()) leave();
    subs.clear();
  };
  port.onmessage = (message: MessageEvent) => {
    if (gone) return;
    const data = message.data as TabMessage;
    if (data.type === 'hello') mux ??= new LiveMux({ eventsUrl: data.eventsUrl });
    else if (data.type === 'lock') void scope.navigator.locks?.request(data.lock, drop).catch(() => undefined);
    else if (data.type === 'subscribe' && mux) {
      const { sub } = data;
      subs.get(sub)?.();
      subs.set(
        sub,
        mux.subscribe(data.id, {
          event: (event) => port.postMessage({ sub, event } satisfies WorkerMessage),
          status: (status) => port.postMessage({ sub, status } satisfies WorkerMessage),
        }),
      );
    } else if (data.type === 'unsubscribe') {
      subs.get(data.sub)?.();
      subs.delete(data.sub);
    }
  };
  port.start();
};
