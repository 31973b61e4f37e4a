import {
  assertConfigDocument,
  canonicalJson,
  documentChecksum,
  flattenDocument,
  unflattenDocument,
  type ConfigDocument,
} from './document';
import { diffDocuments } from './diff';

describe('config documents', () => {
  const doc: ConfigDocument = {
    server: { port: 8080, host: 'localhost', tls: { enabled: false } },
    features: ['a', 'b'],
    'a/b%c': { x: null },
    empty: {},
    name: 'greeter',
  };

  it('flattens to slash paths with / and % escaped, and back', () => {
    const leaves = flattenDocument(doc);
    expect([...leaves.keys()]).toEqual(['server/port', 'server/host', 'server/tls/enabled', 'features', 'a%2Fb%25c/x', 'empty', 'name']);
    expect(unflattenDocument(leaves)).toEqual(doc);
  });

  it('checksums ignore key order', () => {
    const reordered: ConfigDocument = { name: 'greeter', empty: {}, 'a/b%c': { x: null }, features: ['a', 'b'], server: { tls: { enabled: false }, host: 'localhost', port: 8080 } };
    expect(canonicalJson(reordered)).toBe(canonicalJson(doc));
    expect(documentChecksum(reordered)).toBe(documentChecksum(doc));
    expect(documentChecksum({ ...doc, name: 'other' })).not.toBe(documentChecksum(doc));
  });

  it('refuses what JSON cannot hold, naming the path', () => {
    expect(() => assertConfigDocument([1])).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID_DOCUMENT' }));
    expect(() => assertConfigDocument({ a: { b: Number.NaN } })).toThrow(/a\/b/);
    expect(() => assertConfigDocument({ a: new Date() })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID_DOCUMENT' }));
    expect(() => assertConfigDocument({ a: { '': 1 } })).toThrow(/empty keys/);
    expect(assertConfigDocument({ a: [1, { b: true }] })).toEqual({ a: [1, { b: true }] });
  });

  it('detects clashing leaves written around publish', () => {
    expect(() => unflattenDocument([['a', 1], ['a/b', 2]])).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID_DOCUMENT' }));
    expect(() => unflattenDocument([['a/b', 2], ['a', 1]])).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID_DOCUMENT' }));
  });

  it('keeps __proto__ as data', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": 1}}') as ConfigDocument;
    const back = unflattenDocument(flattenDocument(parsed));
    expect(Object.keys(back)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('diffs by setting', () => {
    const next: ConfigDocument = { ...doc, server: { port: 9090, host: 'localhost', tls: { enabled: false } }, name: undefined as never, extra: [1] };
    delete next['name'];
    expect(diffDocuments(doc, next)).toEqual({
      added: [{ path: 'extra', value: [1] }],
      removed: [{ path: 'name', value: 'greeter' }],
      changed: [{ path: 'server/port', from: 8080, to: 9090 }],
    });
    expect(diffDocuments(undefined, { a: 1 }).added).toEqual([{ path: 'a', value: 1 }]);
  });
});
