import { mergePatch, settingPatch } from './merge-patch';

describe('mergePatch (RFC 7396)', () => {
  it('merges objects, replaces scalars and arrays, removes keys set to null, leaves the target alone', () => {
    const target = { template: 'Hi {name}', maxNameLength: 100, server: { port: 1, host: 'a' }, tags: ['x'] };
    const out = mergePatch(target, { maxNameLength: 10, server: { host: null, tls: true }, tags: ['y', 'z'] });
    expect(out).toEqual({ template: 'Hi {name}', maxNameLength: 10, server: { port: 1, tls: true }, tags: ['y', 'z'] });
    expect(target).toEqual({ template: 'Hi {name}', maxNameLength: 100, server: { port: 1, host: 'a' }, tags: ['x'] });
  });

  it("follows the RFC's examples", () => {
    expect(mergePatch({ a: 'b' }, { a: 'c' })).toEqual({ a: 'c' });
    expect(mergePatch({ a: 'b' }, { b: 'c' })).toEqual({ a: 'b', b: 'c' });
    expect(mergePatch({ a: 'b' }, { a: null })).toEqual({});
    expect(mergePatch({ a: ['b'] }, { a: 'c' })).toEqual({ a: 'c' });
    expect(mergePatch({ a: { b: 'c' } }, { a: { b: 'd', c: null } })).toEqual({ a: { b: 'd' } });
    expect(mergePatch({ a: 'foo' }, { a: { bb: { ccc: null } } })).toEqual({ a: { bb: {} } });
  });

  it('builds a one-setting patch from a path', () => {
    expect(settingPatch(['server', 'port'], 8080)).toEqual({ server: { port: 8080 } });
    expect(settingPatch(['maxNameLength'], null)).toEqual({ maxNameLength: null });
  });
});
