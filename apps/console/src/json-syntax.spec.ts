import { offsetPosition } from './document-text';
import { jsonSyntaxError } from './json-syntax';

describe('jsonSyntaxError', () => {
  it('accepts strict JSON', () => {
    for (const text of ['{}', '[]', ' {"a": [1, -2.5e3, true, false, null, "x\\n\\u00e9"]} ', '"s"', '0']) expect(jsonSyntaxError(text)).toBeUndefined();
  });

  it('points at what JSON does not allow (and YAML would)', () => {
    const cases: Array<[string, string]> = [
      ['{\n  "a": 1,\n  "b": }\n', '3:8'],
      ['{"a": 1,}', '1:9'],
      ["{'a': 1}", '1:2'],
      ['{"a": 01}', '1:8'],
      ['{"a": 1} x', '1:10'],
      ['{"a": "\u0001"}', '1:8'],
      ['{"a": 1', '1:8'],
    ];
    for (const [text, at] of cases) {
      const problem = jsonSyntaxError(text);
      expect(problem).toBeDefined();
      expect([text, offsetPosition(text, problem!.offset)]).toEqual([text, at]);
    }
  });
});
