// Applying a live stream's `changes` delta to a copy of its snapshot (the rules are in
// libs/console-contract `LiveDelta`). Pure and immutable: react-query needs new objects to see a
// change, and the live worker keeps its copy apart from the ones it posts.
import { LIVE_COLLECTIONS, type LiveDelta, type LiveStream } from '@etcd-patterns/console-contract';

/** The collections of `stream`'s snapshot, or undefined for a stream that sends only snapshots. */
export function collectionsOf(stream: LiveStream): Readonly<Record<string, string>> | undefined {
  return stream === 'cluster' ? undefined : LIVE_COLLECTIONS[stream];
}

function idOf(item: unknown, idField: string): string {
  return idField === '' ? String(item) : String((item as Record<string, unknown>)[idField]);
}

const byId = (idField: string) => (a: unknown, b: unknown) => {
  const x = idOf(a, idField);
  const y = idOf(b, idField);
  return x < y ? -1 : x > y ? 1 : 0;
};

/** Where an item with id `id` goes in `items` (ordered by id). */
function insertionPoint(items: readonly unknown[], id: string, idField: string): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (idOf(items[mid], idField) < id) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * One delta with the effect of `deltas` applied in order (a later upsert or removal of an id
 * wins), so a frame that received many applies them with one pass over the data.
 */
export function mergeLiveDeltas(deltas: readonly LiveDelta[], spec: Readonly<Record<string, string>>): LiveDelta {
  if (deltas.length === 1) return deltas[0]!;
  const REMOVED = Symbol('removed');
  const collections = new Map<string, Map<string, unknown>>();
  const fields: Record<string, unknown> = {};
  for (const delta of deltas) {
    for (const [name, change] of Object.entries(delta.collections)) {
      const idField = spec[name] ?? '';
      let items = collections.get(name);
      if (!items) collections.set(name, (items = new Map()));
      for (const id of change.remove) items.set(id, REMOVED);
      for (const item of change.upsert) items.set(idOf(item, idField), item);
    }
    Object.assign(fields, delta.fields ?? {});
  }
  const out: Record<string, { upsert: unknown[]; remove: string[] }> = {};
  for (const [name, items] of collections) {
    const upsert: unknown[] = [];
    const remove: string[] = [];
    for (const [id, item] of items) {
      if (item === REMOVED) remove.push(id);
      else upsert.push(item);
    }
    out[name] = { upsert, remove };
  }
  return Object.keys(fields).length > 0 ? { collections: out, fields } : { collections: out };
}

/** Whether `delta` looks like a {@link LiveDelta} (a stream's data is checked, not trusted). */
export function isLiveDelta(value: unknown): value is LiveDelta {
  if (typeof value !== 'object' || value === null) return false;
  const collections = (value as { collections?: unknown }).collections;
  if (typeof collections !== 'object' || collections === null) return false;
  return Object.values(collections).every((c) => typeof c === 'object' && c !== null && Array.isArray((c as { upsert?: unknown }).upsert) && Array.isArray((c as { remove?: unknown }).remove));
}

/**
 * `data` with `delta` applied: per collection, the removed ids dropped, upserted items replacing
 * the ones with their id (or added), the collection kept in id order; the changed `fields` set
 * (`null` deletes); `revision` set to `revision`. Unchanged collections keep their arrays (so
 * memoized views of them stay valid). Returns undefined when `data` is not an object with every
 * collection the delta names (the caller refetches instead).
 */
export function applyLiveDelta<T>(data: T, delta: LiveDelta, revision: number, spec: Readonly<Record<string, string>>): T | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const out: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  for (const [name, change] of Object.entries(delta.collections)) {
    const idField = spec[name];
    const before = out[name];
    if (idField === undefined || !Array.isArray(before)) return undefined;
    if (change.upsert.length === 0 && change.remove.length === 0) continue;
    const removed = new Set(change.remove);
    const replacements = new Map<string, unknown>();
    for (const item of change.upsert) replacements.set(idOf(item, idField), item);
    const next: unknown[] = [];
    for (const item of before) {
      const id = idOf(item, idField);
      if (removed.has(id) && !replacements.has(id)) continue;
      const replacement = replacements.get(id);
      if (replacement !== undefined) {
        next.push(replacement);
        replacements.delete(id);
      } else next.push(item);
    }
    const added = [...replacements.values()];
    if (added.length > 32) {
      next.push(...added);
      next.sort(byId(idField));
    } else {
      // A few new items (the usual case): insert each in place, no full sort.
      for (const item of added) next.splice(insertionPoint(next, idOf(item, idField), idField), 0, item);
    }
    out[name] = next;
  }
  for (const [name, value] of Object.entries(delta.fields ?? {})) {
    if (value === null) delete out[name];
    else out[name] = value;
  }
  if ('revision' in out) out['revision'] = revision;
  return out as T;
}
