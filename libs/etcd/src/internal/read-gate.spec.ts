import { ReadGate } from './read-gate';

const settled = async (p: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

describe('ReadGate', () => {
  it('lets a watch through at once when no read is in flight', async () => {
    const gate = new ReadGate();
    expect(await settled(gate.idle(new AbortController().signal))).toBe(true);
  });

  it('holds a watch until the reads in flight have settled, failed ones included', async () => {
    const gate = new ReadGate();
    let finish!: () => void;
    const ok = gate.read(() => new Promise<void>((resolve) => (finish = resolve)));
    const failing = gate.read(() => Promise.reject(new Error('down'))).catch(() => undefined);
    const idle = gate.idle(new AbortController().signal, 10_000);
    expect(await settled(idle)).toBe(false);
    await failing;
    expect(await settled(idle)).toBe(false);
    finish();
    await ok;
    expect(await settled(idle)).toBe(true);
  });

  it('waits at most maxMs, and not past an abort', async () => {
    const gate = new ReadGate();
    void gate.read(() => new Promise(() => undefined));
    const started = performance.now();
    await gate.idle(new AbortController().signal, 30);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    const controller = new AbortController();
    const idle = gate.idle(controller.signal, 10_000);
    controller.abort();
    expect(await settled(idle)).toBe(true);
  });
});
