import type { LiveCollectionDelta, LiveDelta, LiveEvent } from '@etcd-patterns/console-contract';
import { consoleEtcdError } from './api-error';

/**
 * Receives one shared view's events. `json` is the event serialized once for every subscriber.
 * After an `error` event nothing more arrives.
 */
export type LiveListener = (event: LiveEvent<unknown>, json: string) => void;

/** A view's snapshot as it is sent. */
export interface ViewSnapshot {
  readonly revision: number;
  readonly data: unknown;
}

/**
 * One live view shared by every stream that shows it with the same etcd client: one watch (or
 * poll), one in-memory copy of the view, and each event serialized once. A subscriber gets the
 * current snapshot first (as soon as the view has one), then every later event. The view starts
 * with its first subscriber and stops (closing its watch) when the last one leaves, on
 * {@link close}, or after an error, which every subscriber gets as an `error` event. Listeners
 * are never called synchronously from {@link subscribe}.
 */
export abstract class SharedLiveView {
  private readonly listeners = new Map<LiveListener, { live: boolean }>();
  private readonly stopping = new AbortController();
  private started = false;
  private ended = false;
  private snapshotJson: string | undefined;
  /** Called once the view has stopped (the registry forgets it). */
  onStop: (() => void) | undefined;

  /** Whether the view has stopped (a stopped view accepts no subscribers). */
  get stopped(): boolean {
    return this.ended;
  }

  /** Aborted when the view stops: its watch or poll must end. */
  protected get signal(): AbortSignal {
    return this.stopping.signal;
  }

  /** Number of subscribers. */
  get size(): number {
    return this.listeners.size;
  }

  /**
   * Adds a listener: the current snapshot follows (on a later tick), then every event.
   * Returns the function that removes it; the last removal stops the view.
   * @throws {Error} when the view has stopped.
   */
  subscribe(listener: LiveListener): () => void {
    if (this.ended) throw new Error('live view stopped');
    const entry = { live: false };
    this.listeners.set(listener, entry);
    if (!this.started) {
      this.started = true;
      void this.run().then(
        () => this.stop(),
        (error: unknown) => this.fail(error),
      );
    } else {
      queueMicrotask(() => this.greet(listener, entry));
    }
    return () => {
      if (!this.listeners.delete(listener)) return;
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** Stops the view: the watch ends and subscribers get nothing more. Idempotent. */
  close(): void {
    this.stop();
  }

  /** Runs the watch or poll until `signal` aborts; calls {@link publishSnapshot} first. Throwing fails the view. */
  protected abstract run(): Promise<void>;

  /** The current snapshot, or undefined before the first one. */
  protected abstract snapshot(): ViewSnapshot | undefined;

  /**
   * The view has a new snapshot (its first, or a resync after its watch lost track): every
   * subscriber gets it.
   */
  protected publishSnapshot(): void {
    this.snapshotJson = undefined;
    const json = this.snapshotEvent();
    if (!json) return;
    for (const [listener, entry] of this.listeners) {
      entry.live = true;
      listener(json.event, json.json);
    }
  }

  /** Sends an event to every subscriber that has had its snapshot; the snapshot is rebuilt on demand. */
  protected publish(event: LiveEvent<unknown>): void {
    this.snapshotJson = undefined;
    if (this.ended) return;
    const json = JSON.stringify(event);
    for (const [listener, entry] of this.listeners) if (entry.live) listener(event, json);
  }

  private snapshotEvent(): { event: LiveEvent<unknown>; json: string } | undefined {
    const current = this.snapshot();
    if (!current) return undefined;
    const event: LiveEvent<unknown> = { type: 'snapshot', revision: current.revision, data: current.data };
    this.snapshotJson ??= JSON.stringify(event);
    return { event, json: this.snapshotJson };
  }

  private greet(listener: LiveListener, entry: { live: boolean }): void {
    if (this.ended || entry.live || this.listeners.get(listener) !== entry) return;
    const json = this.snapshotEvent();
    if (!json) return; // the first snapshot reaches it when it comes
    entry.live = true;
    listener(json.event, json.json);
  }

  private fail(error: unknown): void {
    if (this.ended) return;
    if (!this.stopping.signal.aborted) {
      const e = consoleEtcdError(error);
      const event: LiveEvent<unknown> = { type: 'error', code: e.code, message: e.message };
      const json = JSON.stringify(event);
      for (const listener of [...this.listeners.keys()]) listener(event, json);
    }
    this.stop();
  }

  private stop(): void {
    if (this.ended) return;
    this.ended = true;
    this.stopping.abort();
    this.listeners.clear();
    this.snapshotJson = undefined;
    this.onStop?.();
  }
}

/** Which field identifies an item of each collection (`''`: the item is its own id). */
export type CollectionSpec = Readonly<Record<string, string>>;

/** An item's id under `idField`. */
export function itemId(item: unknown, idField: string): string {
  return idField === '' ? String(item) : String((item as Record<string, unknown>)[idField]);
}

/**
 * The {@link LiveDelta} from `before` to `after` (two snapshots of one view): per collection of
 * `spec`, the items added or changed (compared as JSON) and the ids removed; and the other
 * top-level fields that changed (`null`: gone), `revision` excepted (the event carries it). Undefined when
 * nothing changed.
 */
export function diffViews(spec: CollectionSpec, before: Record<string, unknown>, after: Record<string, unknown>): LiveDelta | undefined {
  const collections: Record<string, LiveCollectionDelta> = {};
  let changed = false;
  for (const [name, idField] of Object.entries(spec)) {
    const old = new Map<string, string>();
    for (const item of (before[name] as unknown[] | undefined) ?? []) old.set(itemId(item, idField), JSON.stringify(item));
    const upsert: unknown[] = [];
    const seen = new Set<string>();
    for (const item of (after[name] as unknown[] | undefined) ?? []) {
      const id = itemId(item, idField);
      seen.add(id);
      if (old.get(id) !== JSON.stringify(item)) upsert.push(item);
    }
    const remove = [...old.keys()].filter((id) => !seen.has(id));
    if (upsert.length > 0 || remove.length > 0) {
      collections[name] = { upsert, remove };
      changed = true;
    }
  }
  const fields: Record<string, unknown> = {};
  for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (name === 'revision' || name in spec) continue;
    if (JSON.stringify(before[name]) !== JSON.stringify(after[name])) {
      fields[name] = name in after ? after[name] : null;
      changed = true;
    }
  }
  if (!changed) return undefined;
  return Object.keys(fields).length > 0 ? { collections, fields } : { collections };
}
