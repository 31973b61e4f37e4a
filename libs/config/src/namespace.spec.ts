import { ConfigNamespace } from './namespace';

describe('ConfigNamespace', () => {
  it('lays out the keys', () => {
    const ns = ConfigNamespace.parse('prod/greeter');
    expect(ns.livePrefix).toBe('/config/prod/greeter/');
    expect(ns.valuesPrefix).toBe('/config/prod/greeter/values/');
    expect(ns.metaKey).toBe('/config/prod/greeter/_meta');
    expect(ns.historyKey(12)).toBe('/config/_history/prod/greeter/0000000012');
    expect(ns.schemaKey).toBe('/config/_schema/prod/greeter');
    expect(ConfigNamespace.parse('a/b', '/x/y').livePrefix).toBe('/x/y/a/b/');
  });

  it.each(['prod', 'prod/greeter/x', '/greeter', 'prod/', '_history/x', 'pr od/x', 'prod/gre:eter'])('refuses %s', (bad) => {
    expect(() => ConfigNamespace.parse(bad)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID_NAMESPACE' }));
  });

  it('refuses bad roots', () => {
    for (const root of ['config', '/config/', '', '/a//b']) {
      expect(() => ConfigNamespace.parse('a/b', root)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID_NAMESPACE' }));
    }
  });
});
