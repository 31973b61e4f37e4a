import { checkOnRead } from './checked-signal';

describe('checkOnRead', () => {
  it('runs the check on every read, and a check that aborts is seen by that same read', () => {
    const controller = new AbortController();
    let due = false;
    let checks = 0;
    const signal = checkOnRead(controller.signal, () => {
      checks++;
      if (due) controller.abort(new Error('deadline'));
    });
    const kept = signal; // a reference kept from earlier sees it too
    expect(kept.aborted).toBe(false);
    due = true;
    const events: unknown[] = [];
    kept.addEventListener('abort', () => events.push(kept.reason));
    expect(kept.aborted).toBe(true);
    expect((kept.reason as Error).message).toBe('deadline');
    expect(events).toHaveLength(1);
    expect(checks).toBe(2);
    // Once aborted, no more checks.
    void kept.aborted;
    expect(checks).toBe(2);
  });

  it('checks before throwIfAborted() and reason', () => {
    const controller = new AbortController();
    const signal = checkOnRead(controller.signal, () => controller.abort(new Error('late')));
    expect(() => signal.throwIfAborted()).toThrow('late');
    const other = new AbortController();
    const checked = checkOnRead(other.signal, () => other.abort('why'));
    expect(checked.reason).toBe('why');
  });

  it('does not run the check again for reads made inside it', () => {
    const controller = new AbortController();
    let checks = 0;
    const signal = checkOnRead(controller.signal, () => {
      checks++;
      void signal.aborted;
    });
    expect(signal.aborted).toBe(false);
    expect(checks).toBe(1);
  });
});
