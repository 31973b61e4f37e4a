import { ConfigError } from './errors';
import { decodeHistory, decodeHistoryInfo, encodeHistory, type ConfigMeta } from './records';

const meta: ConfigMeta = {
  version: 7,
  publishId: 'p-1',
  author: 'ana',
  message: 'why',
  time: '2026-12-02T10:00:00.000Z',
  checksum: 'sha256:00',
  leaves: 2,
  baseVersion: 6,
};
const record = (value: unknown): Buffer => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('decodeHistoryInfo', () => {
  it('reads the meta fields of a record as encodeHistory writes it, like a full decode', () => {
    const value = Buffer.from(encodeHistory(meta, { a: 1, nested: { document: { x: 'y' } } }));
    const { document: _document, ...full } = decodeHistory(value, 'k', 12);
    expect(decodeHistoryInfo(value, 'k', 12)).toEqual(full);
    expect(decodeHistoryInfo(value, 'k', 12)).toEqual({ ...meta, revision: 12 });
  });

  it('is not fooled by the marker text inside a message', () => {
    const tricky = { ...meta, message: 'x,"document":{}}' };
    expect(decodeHistoryInfo(Buffer.from(encodeHistory(tricky, { a: 1 })), 'k', 1)).toEqual({ ...tricky, revision: 1 });
  });

  it('parses any other layout whole: document first, or the marker inside another field', () => {
    expect(decodeHistoryInfo(record({ document: { a: 1, document: 2 }, ...meta }), 'k', 3)).toEqual({ ...meta, revision: 3 });
    expect(decodeHistoryInfo(record({ extra: { b: 1, document: 2 }, ...meta, document: {} }), 'k', 4)).toMatchObject({ ...meta, revision: 4 });
  });

  it('refuses a record without its meta fields, or not JSON, with CONFIG_CORRUPT', () => {
    const { author: _author, ...missing } = meta;
    for (const value of [record({ ...missing, document: {} }), record('{"version":1,"document":'), record('nope')]) {
      expect(() => decodeHistoryInfo(value, '/config/h/1', 1)).toThrow(ConfigError);
      try {
        decodeHistoryInfo(value, '/config/h/1', 1);
      } catch (error) {
        expect(error).toMatchObject({ code: 'CONFIG_CORRUPT' });
        expect((error as Error).message).toContain('/config/h/1');
      }
    }
  });
});
