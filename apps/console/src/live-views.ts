import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { LIVE_COLLECTIONS, type LiveStream } from '@etcd-patterns/console-contract';
import type { Etcd3 } from '@etcd-patterns/etcd';
import type { ClusterOps } from '@etcd-patterns/ops';
import { clusterView } from './cluster-view';
import { configNamespaces } from './config-view';
import { ConsoleState } from './console-state';
import type { ConsoleEnv } from './env';
import { listKeys } from './keys-view';
import type { SharedLiveView } from './live-view';
import { PolledLiveView, RereadLiveView } from './live-view-reread';
import { ServicesLiveView } from './live-view-services';
import { locksView, looksLikeOwnerKey, scanPrefix } from './locks-view';
import { CONSOLE_ENV } from './tokens';

/** A live stream to show: its name and, for `keys`, the prefix. */
export interface LiveViewKey {
  readonly stream: LiveStream;
  readonly prefix?: string;
}

/** The etcd identity a view is read with: a session's client and cluster operations over it. */
export interface LiveViewScope {
  readonly client: Etcd3;
  readonly ops: ClusterOps;
}

/** The stream id of a view (`services`, `keys:/app/`), as multiplexed streams name it. */
export function liveStreamId(key: LiveViewKey): string {
  return key.stream === 'keys' ? `keys:${key.prefix ?? ''}` : key.stream;
}

/**
 * The shared live views, one per stream id per etcd client (see `SharedLiveView`). Views are
 * keyed by the client object, so a view is only ever shared by streams that read etcd as the
 * same user through the same client (with auth on: one session's tabs; with auth off: everyone,
 * as with every other request). A view is made on its first subscriber and forgotten when it
 * stops. Shutdown stops every view.
 */
@Injectable()
export class LiveViews implements BeforeApplicationShutdown {
  private readonly byClient = new WeakMap<Etcd3, Map<string, SharedLiveView>>();
  private readonly all = new Set<SharedLiveView>();

  constructor(
    @Inject(ConsoleState) private readonly state: ConsoleState,
    @Inject(CONSOLE_ENV) private readonly env: ConsoleEnv,
  ) {}

  /** Number of running views (for tests and metrics). */
  get size(): number {
    return this.all.size;
  }

  /** The running view of `key` for `scope`, made if there is none. Subscribe to it at once: a view without subscribers is not started. */
  view(scope: LiveViewScope, key: LiveViewKey): SharedLiveView {
    const id = liveStreamId(key);
    let views = this.byClient.get(scope.client);
    if (!views) this.byClient.set(scope.client, (views = new Map()));
    const running = views.get(id);
    if (running && !running.stopped) return running;
    const view = this.make(scope, key);
    views.set(id, view);
    this.all.add(view);
    view.onStop = () => {
      this.all.delete(view);
      if (views.get(id) === view) views.delete(id);
    };
    return view;
  }

  beforeApplicationShutdown(): void {
    for (const view of [...this.all]) view.close();
  }

  private make(scope: LiveViewScope, key: LiveViewKey): SharedLiveView {
    const { client } = scope;
    const withRevision = <T extends { revision: number }>(data: T) => ({ revision: data.revision, data: data as unknown as Record<string, unknown> });
    switch (key.stream) {
      case 'services':
        return new ServicesLiveView({ client, registryPrefix: this.env.CONSOLE_REGISTRY_PREFIX, firstSeen: this.state.servicesSeen });
      case 'locks':
        return new RereadLiveView(client, {
          read: async () => withRevision(await locksView(client, this.env.CONSOLE_LOCK_PREFIXES, this.state.locksSeen)),
          prefixes: this.env.CONSOLE_LOCK_PREFIXES.map(scanPrefix),
          relevant: looksLikeOwnerKey,
          collections: LIVE_COLLECTIONS.locks,
        });
      case 'config':
        return new RereadLiveView(client, {
          read: async () => withRevision(await configNamespaces({ client, root: this.env.CONSOLE_CONFIG_ROOT })),
          prefixes: [`${this.env.CONSOLE_CONFIG_ROOT.replace(/\/+$/, '')}/`],
          collections: LIVE_COLLECTIONS.config,
        });
      case 'keys': {
        const prefix = key.prefix ?? '';
        return new RereadLiveView(client, { read: async () => withRevision(await listKeys(client, { prefix, limit: 100 })), prefixes: [prefix], collections: LIVE_COLLECTIONS.keys });
      }
      case 'cluster':
        return new PolledLiveView(async () => {
          const view = await clusterView(scope.ops, this.state.compactFinder);
          return { revision: view.revision, data: view };
        }, 2000);
    }
  }
}
