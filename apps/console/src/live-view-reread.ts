import type { LiveChange } from '@etcd-patterns/console-contract';
import { abortableSleep, watchPrefix, type Etcd3 } from '@etcd-patterns/etcd';
import { diffViews, SharedLiveView, type CollectionSpec, type ViewSnapshot } from './live-view';

/** How to read a view, and which prefixes change it. */
export interface RereadSource {
  /** Reads the view now; `revision` is the etcd revision it reflects. */
  readonly read: () => Promise<{ revision: number; data: Record<string, unknown> }>;
  /** Watched prefixes (`''`: the whole keyspace). */
  readonly prefixes: readonly string[];
  /** Changes that matter (default: all under the prefixes). */
  readonly relevant?: (key: string) => boolean;
  /** The view's collections (see `LIVE_COLLECTIONS`). */
  readonly collections: CollectionSpec;
}

/**
 * A view that is cheaper to read again than to update key by key (locks and elections, config
 * namespaces, a page of keys): one watch per prefix, and after each batch of changes one read,
 * shared by every subscriber, diffed against the previous read into a delta. Changes arriving
 * while a read runs are taken in by the next read. A watch compaction resync (`reconcile`)
 * resends a full snapshot.
 */
export class RereadLiveView extends SharedLiveView {
  private current: { revision: number; data: Record<string, unknown> } | undefined;

  constructor(
    private readonly client: Etcd3,
    private readonly source: RereadSource,
  ) {
    super();
  }

  protected snapshot(): ViewSnapshot | undefined {
    return this.current;
  }

  protected async run(): Promise<void> {
    this.current = await this.source.read();
    this.publishSnapshot();
    const from = this.current.revision + 1;
    let pending: LiveChange[] = [];
    let resync = false;
    let reading: Promise<void> | undefined;
    let failure: unknown;
    const local = new AbortController();
    const signal = AbortSignal.any([this.signal, local.signal]);
    const readAgain = async (): Promise<void> => {
      while ((pending.length > 0 || resync) && !signal.aborted) {
        const changes = pending;
        const full = resync;
        pending = [];
        resync = false;
        const next = await this.source.read();
        const before = this.current!;
        this.current = next;
        if (full) {
          this.publishSnapshot();
          continue;
        }
        const revision = Math.max(next.revision, ...changes.map((c) => c.modRevision));
        const delta = diffViews(this.source.collections, before.data, next.data);
        this.publish({ type: 'changes', revision, changes, delta: delta ?? { collections: {} } });
      }
    };
    const kick = (): void => {
      if (reading) return;
      reading = readAgain()
        .catch((error: unknown) => {
          failure ??= error;
          local.abort();
        })
        .finally(() => {
          reading = undefined;
          if ((pending.length > 0 || resync) && !signal.aborted) kick();
        });
    };
    const watchOne = async (prefix: string): Promise<void> => {
      for await (const message of watchPrefix(this.client, prefix, { startRevision: from, signal })) {
        if (message.kind === 'snapshot') continue;
        if (message.kind === 'reconcile') resync = true;
        for (const event of message.events) {
          if (this.source.relevant && !this.source.relevant(event.kv.key)) continue;
          pending.push({ kind: event.type, key: event.kv.key, modRevision: event.kv.modRevision });
        }
        if (pending.length > 0 || resync) kick();
      }
    };
    await Promise.all(
      this.source.prefixes.map((p) =>
        watchOne(p).catch((error: unknown) => {
          failure ??= error;
          local.abort();
        }),
      ),
    );
    await reading;
    if (failure !== undefined) throw failure;
  }
}

/** A view without a watch (cluster status): read every `intervalMs`, each read sent as a snapshot. */
export class PolledLiveView extends SharedLiveView {
  private current: ViewSnapshot | undefined;

  constructor(
    private readonly read: () => Promise<ViewSnapshot>,
    private readonly intervalMs = 2000,
  ) {
    super();
  }

  protected snapshot(): ViewSnapshot | undefined {
    return this.current;
  }

  protected async run(): Promise<void> {
    for (;;) {
      this.current = await this.read();
      this.publishSnapshot();
      await abortableSleep(this.intervalMs, this.signal);
    }
  }
}
