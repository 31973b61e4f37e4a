import { frozenPastDeadline } from './stall-guard';

describe('frozenPastDeadline', () => {
  const at = (monoMs: number, wallMs: number) => ({ monoMs, wallMs });

  it('ignores an ordinary tick, even one that crosses the deadline (the deadline timer handles that)', () => {
    expect(frozenPastDeadline(at(1000, 5000), at(1100, 5100), 1050, 200)).toBe(false);
  });

  it('reports a freeze that ate the remaining budget', () => {
    // 700 ms left at the earlier tick, frozen 800 ms.
    expect(frozenPastDeadline(at(1000, 5000), at(1800, 5800), 1700, 200)).toBe(true);
  });

  it('does not report a freeze shorter than the remaining budget', () => {
    expect(frozenPastDeadline(at(1000, 5000), at(1500, 5500), 1700, 200)).toBe(false);
  });

  it('reports a machine that slept: the wall clock moved, the monotonic clock did not', () => {
    expect(frozenPastDeadline(at(1000, 5000), at(1100, 65_000), 9000, 200)).toBe(true);
  });

  it('ignores a wall clock set backwards', () => {
    expect(frozenPastDeadline(at(1000, 5000), at(1100, 1000), 1700, 200)).toBe(false);
  });
});
