import { getEventListeners } from 'node:events';
import { LinkedSignal, onAbort, raceSignal } from './abort';

describe('LinkedSignal', () => {
  it('fires synchronously with the first source, with its reason', () => {
    const a = new AbortController();
    const b = new AbortController();
    const linked = new LinkedSignal([a.signal, undefined, b.signal]);
    expect(linked.signal.aborted).toBe(false);
    b.abort('why');
    expect(linked.signal.aborted).toBe(true);
    expect(linked.signal.reason).toBe('why');
    a.abort('later');
    expect(linked.signal.reason).toBe('why');
  });

  it('starts aborted when a source already is', () => {
    const a = new AbortController();
    a.abort('done');
    expect(new LinkedSignal([a.signal]).signal.reason).toBe('done');
  });

  it('stops following its sources once disposed, and can still be aborted by hand', () => {
    const a = new AbortController();
    const linked = new LinkedSignal([a.signal]);
    linked.dispose();
    a.abort();
    expect(linked.signal.aborted).toBe(false);
    linked.abort('by hand');
    expect(linked.signal.reason).toBe('by hand');
  });

  it('puts one listener on a long-lived source however many operations link to it', () => {
    const session = new AbortController();
    const links = Array.from({ length: 50 }, () => new LinkedSignal([session.signal]));
    expect(getEventListeners(session.signal, 'abort')).toHaveLength(1);
    for (const l of links.slice(0, 25)) l.dispose();
    session.abort('lost');
    expect(links.filter((l) => l.signal.aborted)).toHaveLength(25);
  });
});

describe('onAbort', () => {
  it('calls back at once for an aborted signal, and never after unlinking', () => {
    const calls: unknown[] = [];
    const done = new AbortController();
    done.abort('x');
    onAbort(done.signal, (r) => calls.push(r));
    const live = new AbortController();
    const unlink = onAbort(live.signal, (r) => calls.push(r));
    unlink();
    live.abort('y');
    expect(calls).toEqual(['x']);
  });
});

describe('raceSignal', () => {
  it('settles with the promise, or rejects with ABORTED when the signal fires first', async () => {
    await expect(raceSignal(Promise.resolve(1), undefined)).resolves.toBe(1);
    const abort = new AbortController();
    await expect(raceSignal(Promise.resolve(2), abort.signal)).resolves.toBe(2);
    const never = new Promise<number>(() => undefined);
    const raced = raceSignal(never, abort.signal);
    abort.abort(new Error('stop'));
    await expect(raced).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(raceSignal(Promise.reject(new Error('late')), abort.signal)).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
