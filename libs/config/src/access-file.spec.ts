import { AccessFileError, describeRange, parseAccessFile, rangeOfEntry } from './access-file';

describe('parseAccessFile', () => {
  it('expands prefixes, single keys and config namespaces, and merges types per range', () => {
    const spec = parseAccessFile({
      auth: 'enabled',
      roles: {
        app: { read: ['/services/', '/jobs/'], write: ['/jobs/'], readwrite: ['/one-key'], config: ['prod/app'] },
        empty: null,
      },
      users: { app: { roles: ['app'] }, root: null },
    });
    expect(spec.auth).toBe('enabled');
    const app = spec.roles.find((r) => r.name === 'app')!;
    const described = app.permissions.map((p) => `${p.type} ${describeRange(p.key, p.rangeEnd)}`);
    expect(described).toEqual([
      'Read /config/prod/app/',
      'Readwrite /config/_applied/prod/app/',
      'Readwrite /config/_schema/prod/app',
      'Readwrite /jobs/',
      'Read /services/',
      'Readwrite /one-key',
    ].sort((a, b) => Buffer.compare(Buffer.from(a.split(' ')[1]!), Buffer.from(b.split(' ')[1]!))));
    expect(spec.roles.find((r) => r.name === 'empty')!.permissions).toEqual([]);
    // root always keeps the root role.
    expect(spec.users.find((u) => u.name === 'root')!.roles).toEqual(['root']);
  });

  it('treats an entry ending in / as a prefix and anything else as one key', () => {
    expect(rangeOfEntry('/a/')).toEqual({ key: Buffer.from('/a/'), rangeEnd: Buffer.from('/a0') });
    expect(rangeOfEntry('/a')).toEqual({ key: Buffer.from('/a'), rangeEnd: Buffer.from('/a\0') });
    expect(describeRange(Buffer.from('/a'), Buffer.from('/c'))).toBe('["/a", "/c")');
  });

  it('lists every issue with its path', () => {
    const error = (() => {
      try {
        parseAccessFile({ roles: { root: {}, bad: { config: ['nope'] } }, users: { u: { roles: ['missing'] } } });
      } catch (e) {
        return e;
      }
      return undefined;
    })() as AccessFileError;
    expect(error).toBeInstanceOf(AccessFileError);
    expect(error.code).toBe('CONFIG_INVALID_DOCUMENT');
    expect(error.issues.map((i) => i.path.join('.'))).toEqual(['roles.bad.config.0']);
    const second = (() => {
      try {
        parseAccessFile({ roles: { root: {} }, users: { u: { roles: ['missing'] } } });
      } catch (e) {
        return e as AccessFileError;
      }
      return undefined;
    })()!;
    expect(second.issues.map((i) => i.path.join('.'))).toEqual(['roles.root', 'users.u.roles.0']);
    expect(() => parseAccessFile({ roles: { x: { read: ['no-slash'] } } })).toThrow(/starts with "\/"/);
    expect(() => parseAccessFile({ extra: 1 })).toThrow(AccessFileError);
  });
});
