import type { ServiceInstance } from '../service-instance';

/** Address order, then key (keys are unique, so the order is total and every entry findable). */
export function compareInstances(a: ServiceInstance, b: ServiceInstance): number {
  if (a.address !== b.address) return a.address < b.address ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Edits of one change above which sorting everything again is cheaper than splicing. */
const SPLICE_LIMIT = 32;

/**
 * The published instance list of a watcher: a frozen array in {@link compareInstances} order,
 * edited by key. One change costs a copy of the array and a binary search, not a sort and a
 * filter pass over every instance: with 1,000 instances and 1,000 watchers a registration cost
 * each watcher about a sort of its list before (measured in bench/src/scale/discovery.scale.ts).
 * Edits are collected until {@link commit}, which returns the new array (or the same one when
 * nothing changed); earlier arrays are never modified.
 */
export class InstanceList {
  private readonly byKey = new Map<string, ServiceInstance>();
  private published: readonly ServiceInstance[] = Object.freeze([]);
  private draft: ServiceInstance[] | undefined;
  private edits = 0;
  private rebuild = false;

  /** Number of instances (with uncommitted edits). */
  get size(): number {
    return this.byKey.size;
  }

  /** The last committed array. */
  get current(): readonly ServiceInstance[] {
    return this.published;
  }

  /** Removes everything (a snapshot follows). */
  clear(): void {
    this.byKey.clear();
    this.draft = [];
    this.rebuild = false;
  }

  /** Adds `instance`, or replaces the entry with its key. */
  set(instance: ServiceInstance): void {
    this.delete(instance.key);
    this.byKey.set(instance.key, instance);
    if (this.editing()) {
      const d = this.draft!;
      d.splice(this.position(d, instance), 0, instance);
    }
  }

  /** Removes the entry with `key`, if any. */
  delete(key: string): void {
    const old = this.byKey.get(key);
    if (!old) return;
    this.byKey.delete(key);
    if (this.editing()) {
      const d = this.draft!;
      d.splice(this.position(d, old), 1);
    }
  }

  /** Publishes the edits since the last commit; returns the (frozen) list. */
  commit(): readonly ServiceInstance[] {
    if (this.rebuild) this.draft = [...this.byKey.values()].sort(compareInstances);
    if (this.draft) this.published = Object.freeze(this.draft);
    this.draft = undefined;
    this.edits = 0;
    this.rebuild = false;
    return this.published;
  }

  // True while edits go to the draft one by one; past SPLICE_LIMIT the draft is sorted anew at commit.
  private editing(): boolean {
    if (this.rebuild) return false;
    if (++this.edits > SPLICE_LIMIT && (this.draft?.length ?? this.published.length) > SPLICE_LIMIT) {
      this.rebuild = true;
      this.draft = undefined;
      return false;
    }
    this.draft ??= this.published.slice();
    return true;
  }

  // Index of the first entry not before `instance` (binary search).
  private position(list: readonly ServiceInstance[], instance: ServiceInstance): number {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareInstances(list[mid]!, instance) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
