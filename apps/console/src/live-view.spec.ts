import type { LiveEvent } from '@etcd-patterns/console-contract';
import { diffViews, SharedLiveView, type ViewSnapshot } from './live-view';

describe('diffViews', () => {
  const spec = { items: 'key', names: '' };

  it('lists added and changed items and removed ids, not unchanged ones', () => {
    const before = { revision: 1, items: [{ key: 'a', v: 1 }, { key: 'b', v: 1 }, { key: 'c', v: 1 }], names: ['x'] };
    const after = { revision: 2, items: [{ key: 'a', v: 1 }, { key: 'b', v: 2 }, { key: 'd', v: 1 }], names: ['x', 'y'] };
    expect(diffViews(spec, before, after)).toEqual({
      collections: { items: { upsert: [{ key: 'b', v: 2 }, { key: 'd', v: 1 }], remove: ['c'] }, names: { upsert: ['y'], remove: [] } },
    });
  });

  it('reports other changed fields (null for a field that is gone) and nothing for an unchanged view', () => {
    expect(diffViews(spec, { revision: 1, items: [], next: 'k' }, { revision: 2, items: [] })).toEqual({ collections: {}, fields: { next: null } });
    expect(diffViews(spec, { revision: 1, items: [{ key: 'a' }] }, { revision: 5, items: [{ key: 'a' }] })).toBeUndefined();
  });
});

/** A view whose snapshot and events the test sets by hand. */
class ManualView extends SharedLiveView {
  current: ViewSnapshot | undefined;
  stoppedRuns = 0;
  protected snapshot(): ViewSnapshot | undefined {
    return this.current;
  }
  protected async run(): Promise<void> {
    await new Promise<void>((resolve) => this.signal.addEventListener('abort', () => resolve(), { once: true }));
    this.stoppedRuns++;
  }
  ready(revision: number): void {
    this.current = { revision, data: { revision } };
    this.publishSnapshot();
  }
  change(revision: number): void {
    this.current = { revision, data: { revision } };
    this.publish({ type: 'changes', revision, changes: [], delta: { collections: {} } });
  }
}

describe('SharedLiveView', () => {
  it('gives each subscriber the snapshot first (never synchronously), then the later events; the last to leave stops it', async () => {
    const view = new ManualView();
    const a: LiveEvent<unknown>[] = [];
    const b: LiveEvent<unknown>[] = [];
    const leaveA = view.subscribe((e) => a.push(e));
    view.change(1); // before any snapshot: nobody has a base to apply it to
    view.ready(2);
    view.change(3);
    const leaveB = view.subscribe((e) => b.push(e));
    expect(b).toEqual([]);
    await Promise.resolve();
    view.change(4);
    expect(a.map((e) => [e.type, 'revision' in e ? e.revision : 0])).toEqual([['snapshot', 2], ['changes', 3], ['changes', 4]]);
    expect(b.map((e) => [e.type, 'revision' in e ? e.revision : 0])).toEqual([['snapshot', 3], ['changes', 4]]);
    leaveA();
    expect(view.stopped).toBe(false);
    leaveB();
    expect(view.stopped).toBe(true);
    await Promise.resolve();
    expect(view.stoppedRuns).toBe(1);
    expect(() => view.subscribe(() => undefined)).toThrow();
  });
});
