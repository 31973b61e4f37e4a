import { prefixRangeEnd, toKeyValue } from './key-value';

describe('prefixRangeEnd', () => {
  it('increments the last byte', () => {
    expect(prefixRangeEnd(Buffer.from('/svc/a/')).toString()).toBe('/svc/a0');
  });
  it('carries over 0xff bytes', () => {
    expect(prefixRangeEnd(Buffer.from([0x61, 0xff, 0xff]))).toEqual(Buffer.from([0x62]));
  });
  it('returns \\0 (to the end of the keyspace) for an all-0xff or empty prefix', () => {
    expect(prefixRangeEnd(Buffer.from([0xff]))).toEqual(Buffer.from([0]));
    expect(prefixRangeEnd(Buffer.alloc(0))).toEqual(Buffer.from([0]));
  });
});

describe('toKeyValue', () => {
  it('converts int64 strings to numbers and keeps lease ids as strings', () => {
    const kv = toKeyValue({
      key: Buffer.from('k'),
      value: Buffer.from('v'),
      create_revision: '5',
      mod_revision: '7',
      version: '2',
      lease: '7587869938123455001',
    });
    expect(kv).toEqual({ key: 'k', value: Buffer.from('v'), createRevision: 5, modRevision: 7, version: 2, lease: '7587869938123455001' });
  });
});
