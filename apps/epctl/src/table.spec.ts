import { formatTable, humanBytes } from './table';

describe('formatTable', () => {
  it('boxes a header and rows, widening columns to the longest cell', () => {
    expect(formatTable(['ENDPOINT', 'LEADER'], [['127.0.0.1:2379', 'true'], ['x', 'false']])).toBe(
      [
        '+----------------+--------+',
        '|    ENDPOINT    | LEADER |',
        '+----------------+--------+',
        '| 127.0.0.1:2379 | true   |',
        '| x              | false  |',
        '+----------------+--------+',
        '',
      ].join('\n'),
    );
  });
});

describe('humanBytes', () => {
  it('prints SI units like etcdctl', () => {
    expect(humanBytes(999)).toBe('999 B');
    expect(humanBytes(20_480)).toBe('20 kB');
    expect(humanBytes(1_234_567)).toBe('1.2 MB');
  });
});
