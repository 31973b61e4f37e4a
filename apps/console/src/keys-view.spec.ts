import { classifyValue, hexDump, HEX_DUMP_BYTES } from './keys-view';

describe('classifyValue', () => {
  it('tells JSON, YAML, text and binary apart', () => {
    expect(classifyValue(Buffer.from('{"a":1}'))).toEqual({ kind: 'json', text: '{"a":1}', pretty: '{\n  "a": 1\n}' });
    expect(classifyValue(Buffer.from('a: 1\nb: [x]\n'))).toMatchObject({ kind: 'yaml', text: 'a: 1\nb: [x]\n' });
    expect(classifyValue(Buffer.from('hello world'))).toEqual({ kind: 'text', text: 'hello world' });
    expect(classifyValue(Buffer.from('time: 12:30 is not yaml: really'))).toMatchObject({ kind: 'text' });
    expect(classifyValue(Buffer.from('<script>alert(1)</script>'))).toEqual({ kind: 'text', text: '<script>alert(1)</script>' });
    expect(classifyValue(Buffer.from([0xc3, 0x28]))).toMatchObject({ kind: 'binary' });
    expect(classifyValue(Buffer.from('a\u0000b'))).toMatchObject({ kind: 'binary' });
    expect(classifyValue(Buffer.from('{"broken":'))).toMatchObject({ kind: 'text' });
  });
});

describe('hexDump', () => {
  it('prints offset, hex and ASCII columns, and at most HEX_DUMP_BYTES', () => {
    expect(hexDump(Buffer.from('ABC\u0000'))).toBe(`00000000  ${'41 42 43 00'.padEnd(47)}  |ABC.|`);
    const big = hexDump(Buffer.alloc(HEX_DUMP_BYTES + 10));
    expect(big.split('\n')).toHaveLength(HEX_DUMP_BYTES / 16 + 1);
    expect(big.endsWith('… 10 more bytes')).toBe(true);
  });
});
