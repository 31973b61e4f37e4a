import { parseYamlOrJson } from './load-file';

describe('parseYamlOrJson', () => {
  it('reads YAML and JSON', () => {
    expect(parseYamlOrJson('a: 1\nb: [x, y]\n', 'f.yaml')).toEqual({ a: 1, b: ['x', 'y'] });
    expect(parseYamlOrJson('{"a": {"b": true}}', 'f.json')).toEqual({ a: { b: true } });
  });

  it('reports line and column of a syntax error', () => {
    expect(() => parseYamlOrJson('a: 1\nb:\n  c: [1, 2\nd: 3\n', 'f.yaml')).toThrow(/^f\.yaml:4:1: .*line 4/);
    expect(() => parseYamlOrJson('{\n  "a": 1,\n  "a": 2\n}', 'f.json')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID_DOCUMENT', message: expect.stringMatching(/^f\.json:3:/) }));
  });
});
