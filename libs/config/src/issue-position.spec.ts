import { LineCounter, parseDocument } from 'yaml';
import { issueLocator } from './issue-position';

describe('issueLocator', () => {
  const text = ['server:', '  port: 80', 'servers:', '  - host: a', '  - host: b', '"a/b": 1', ''].join('\n');
  const lines = new LineCounter();
  const locate = issueLocator(parseDocument(text, { lineCounter: lines }), lines);

  it('points at the value of a nested key and of a key inside a sequence', () => {
    expect(locate('server/port')).toEqual({ line: 2, column: 9 });
    expect(locate('servers[1]/host')).toEqual({ line: 5, column: 11 });
  });

  it('points at the closest enclosing node for a missing key, and at the top for the root', () => {
    expect(locate('server/missing')).toEqual({ line: 2, column: 3 });
    expect(locate('servers[7]')).toEqual({ line: 4, column: 3 });
    expect(locate('')).toEqual({ line: 1, column: 1 });
  });

  it('decodes escaped segments (a key with a slash)', () => {
    expect(locate('a%2Fb')).toEqual({ line: 6, column: 8 });
  });
});
