import { flattenDocument, jsonEqual, type ConfigDocument, type JsonValue } from './document';

/** Differences between two documents, by setting path (`server/port`), each list sorted by path. */
export interface ConfigDiff {
  /** Settings only in the newer document. */
  readonly added: ReadonlyArray<{ readonly path: string; readonly value: JsonValue }>;
  /** Settings only in the older document. */
  readonly removed: ReadonlyArray<{ readonly path: string; readonly value: JsonValue }>;
  /** Settings in both with different values. */
  readonly changed: ReadonlyArray<{ readonly path: string; readonly from: JsonValue; readonly to: JsonValue }>;
}

/** True when the diff has no entries. */
export function isEmptyDiff(diff: ConfigDiff): boolean {
  return diff.added.length === 0 && diff.removed.length === 0 && diff.changed.length === 0;
}

/**
 * Structured diff of two documents at setting level (the same leaves as the etcd keys: an
 * array is one setting). `from` undefined means an empty document.
 */
export function diffDocuments(from: ConfigDocument | undefined, to: ConfigDocument): ConfigDiff {
  const a = flattenDocument(from ?? {});
  const b = flattenDocument(to);
  const added: Array<{ path: string; value: JsonValue }> = [];
  const removed: Array<{ path: string; value: JsonValue }> = [];
  const changed: Array<{ path: string; from: JsonValue; to: JsonValue }> = [];
  for (const [path, value] of b) {
    if (!a.has(path)) added.push({ path, value });
    else if (!jsonEqual(a.get(path), value)) changed.push({ path, from: a.get(path)!, to: value });
  }
  for (const [path, value] of a) if (!b.has(path)) removed.push({ path, value });
  const byPath = (x: { path: string }, y: { path: string }): number => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0);
  return { added: added.sort(byPath), removed: removed.sort(byPath), changed: changed.sort(byPath) };
}
