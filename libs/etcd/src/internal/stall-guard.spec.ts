import { budgetSpent } from './stall-guard';

describe('budgetSpent', () => {
  const at = (monoMs: number, wallMs: number) => ({ monoMs, wallMs });

  it('is false while both clocks are inside the budget', () => {
    expect(budgetSpent(at(1000, 5000), at(1500, 5500), 700)).toBe(false);
  });

  it('is true once the monotonic clock has used the budget (a stalled loop)', () => {
    expect(budgetSpent(at(1000, 5000), at(1800, 5800), 700)).toBe(true);
  });

  it('is true when the machine slept: the wall clock moved, the monotonic clock did not', () => {
    expect(budgetSpent(at(1000, 5000), at(1100, 65_000), 9000)).toBe(true);
  });

  it('ignores a wall clock set backwards', () => {
    expect(budgetSpent(at(1000, 5000), at(1100, 1000), 700)).toBe(false);
  });
});
