import { getEventListeners } from 'node:events';
import { LinkedAbort } from './linked-signal';

describe('LinkedAbort', () => {
  it('aborts with its parent, with the parent reason, and alone when asked', () => {
    const parent = new AbortController();
    const a = new LinkedAbort(parent.signal);
    const b = new LinkedAbort(parent.signal);
    b.abort('own');
    expect([a.signal.aborted, b.signal.reason]).toEqual([false, 'own']);
    parent.abort('shutdown');
    expect(a.signal.reason).toBe('shutdown');
    expect(new LinkedAbort(parent.signal).signal.reason).toBe('shutdown');
    expect(new LinkedAbort(undefined).signal.aborted).toBe(false);
  });

  it('puts one listener on the parent however many are linked, and a disposed one is not aborted', () => {
    const parent = new AbortController();
    const linked = Array.from({ length: 100 }, () => new LinkedAbort(parent.signal));
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    linked[0]![Symbol.dispose]();
    parent.abort();
    expect(linked[0]!.signal.aborted).toBe(false);
    expect(linked.slice(1).every((l) => l.signal.aborted)).toBe(true);
  });
});
