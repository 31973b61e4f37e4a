import { readFileSync } from 'node:fs';
import { prefixRangeEnd } from '@etcd-patterns/etcd';
import { z } from 'zod';
import { ConfigError } from './errors';
import { ConfigNamespace, DEFAULT_CONFIG_ROOT } from './namespace';

/** One etcd permission type, as etcd names it. */
export type AccessPermissionType = 'Read' | 'Write' | 'Readwrite';

/** A key range a role may touch: `[key, rangeEnd)`; `rangeEnd` is `key + "\0"` for one key. */
export interface AccessPermission {
  readonly type: AccessPermissionType;
  readonly key: Buffer;
  readonly rangeEnd: Buffer;
}

/** The wanted state of one role. */
export interface AccessRoleSpec {
  readonly name: string;
  readonly permissions: readonly AccessPermission[];
}

/** The wanted state of one user. */
export interface AccessUserSpec {
  readonly name: string;
  readonly roles: readonly string[];
  /** Where the password is read from (never the password itself). */
  readonly passwordFile?: string;
}

/** A parsed, validated access file: see {@link parseAccessFile}. */
export interface AccessSpec {
  /** `enabled`: enable etcd auth (bootstrapping root); `disabled`: disable it; undefined: leave it. */
  readonly auth: 'enabled' | 'disabled' | undefined;
  readonly roles: readonly AccessRoleSpec[];
  readonly users: readonly AccessUserSpec[];
}

/** One schema issue of an access file, with its path in the file (for `file:line:column`). */
export interface AccessFileIssue {
  readonly path: ReadonlyArray<string | number>;
  readonly message: string;
}

/** `CONFIG_INVALID_DOCUMENT` for an access file, with every issue and its path. */
export class AccessFileError extends ConfigError {
  constructor(
    readonly issues: readonly AccessFileIssue[],
    message: string,
  ) {
    super('CONFIG_INVALID_DOCUMENT', message);
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const keyEntry = z
  .string()
  .min(1)
  .refine((k) => k.startsWith('/'), 'a key or prefix starts with "/"');
const keyList = z.array(keyEntry).default([]);

const roleSchema = z
  .object({
    read: keyList,
    write: keyList,
    readwrite: keyList,
    config: z
      .array(z.string().regex(/^[^/]+\/[^/]+$/, 'a config namespace is env/app'))
      .default([]),
  })
  .strict();

const userSchema = z
  .object({
    roles: z.array(z.string().regex(NAME, 'not a role name')).default([]),
    passwordFile: z.string().min(1).optional(),
  })
  .strict();

const fileSchema = z
  .object({
    auth: z.enum(['enabled', 'disabled']).optional(),
    configRoot: z.string().regex(/^\/[^]*[^/]$/, 'starts with "/" and does not end with one').optional(),
    roles: z.record(z.string().regex(NAME, 'not a role name'), roleSchema.nullable().transform((r) => r ?? roleSchema.parse({}))).default({}),
    users: z.record(z.string().regex(NAME, 'not a user name'), userSchema.nullable().transform((u) => u ?? userSchema.parse({}))).default({}),
  })
  .strict();

/**
 * The range of one entry of a role's list: an entry ending in `/` is the prefix (every key
 * under it; `/` alone is every key starting with `/`), anything else is that one key.
 */
export function rangeOfEntry(entry: string): { key: Buffer; rangeEnd: Buffer } {
  const key = Buffer.from(entry);
  return { key, rangeEnd: entry.endsWith('/') ? prefixRangeEnd(key) : Buffer.concat([key, Buffer.from([0])]) };
}

/** How a range reads in a plan: `/a/` for a prefix, `/a/b` for one key, `[from, to)` otherwise. */
export function describeRange(key: Buffer, rangeEnd: Buffer): string {
  if (rangeEnd.length === 0) return key.toString();
  if (rangeEnd.equals(Buffer.concat([key, Buffer.from([0])]))) return key.toString();
  if (key.toString().endsWith('/') && rangeEnd.equals(prefixRangeEnd(key))) return key.toString();
  return `[${JSON.stringify(key.toString())}, ${JSON.stringify(rangeEnd.toString())})`;
}

/**
 * Validates the parsed YAML/JSON of an access file and expands it:
 *
 * ```yaml
 * auth: enabled                 # or disabled; left out: leave auth as it is
 * configRoot: /config           # for `config:` entries (default /config)
 * roles:
 *   greeter:
 *     read: [/services/]        # entries ending in "/" are prefixes, others single keys
 *     readwrite: [/services/greeter/]
 *     config: [prod/greeter]    # READ on the live config, READWRITE on its applied reports and schema key
 * users:
 *   root: { passwordFile: /run/secrets/etcd-root }   # always keeps the root role
 *   greeter: { roles: [greeter], passwordFile: /run/secrets/etcd-greeter }
 * ```
 *
 * A range listed with several types gets their union (`read` + `write` = `readwrite`). A user
 * `root` always has the `root` role. Roles a user names must be in the file (or be `root`).
 *
 * @throws {AccessFileError} `CONFIG_INVALID_DOCUMENT` listing each issue with its path.
 */
export function parseAccessFile(value: unknown, name = 'access file'): AccessSpec {
  const parsed = fileSchema.safeParse(value ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)), message: i.message }));
    throw new AccessFileError(issues, `${name}: ${issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`);
  }
  const file = parsed.data;
  const root = file.configRoot ?? DEFAULT_CONFIG_ROOT;
  const issues: AccessFileIssue[] = [];
  const roles: AccessRoleSpec[] = [];
  for (const [roleName, role] of Object.entries(file.roles)) {
    if (roleName === 'root') {
      issues.push({ path: ['roles', 'root'], message: 'the root role is built in (it may do everything); do not list it' });
      continue;
    }
    const types = new Map<string, { key: Buffer; rangeEnd: Buffer; read: boolean; write: boolean }>();
    const add = (entry: string, read: boolean, write: boolean): void => {
      const range = rangeOfEntry(entry);
      const id = `${range.key.toString('hex')}-${range.rangeEnd.toString('hex')}`;
      const current = types.get(id) ?? { ...range, read: false, write: false };
      types.set(id, { ...current, read: current.read || read, write: current.write || write });
    };
    for (const e of role.read) add(e, true, false);
    for (const e of role.write) add(e, false, true);
    for (const e of role.readwrite) add(e, true, true);
    role.config.forEach((namespace, index) => {
      try {
        const ns = ConfigNamespace.parse(namespace, root);
        add(ns.livePrefix, true, false);
        add(ns.appliedPrefix, true, true);
        add(ns.schemaKey, true, true);
      } catch (error) {
        issues.push({ path: ['roles', roleName, 'config', index], message: error instanceof Error ? error.message : String(error) });
      }
    });
    const permissions = [...types.values()]
      .map((t) => ({ type: (t.read && t.write ? 'Readwrite' : t.read ? 'Read' : 'Write') as AccessPermissionType, key: t.key, rangeEnd: t.rangeEnd }))
      .sort((a, b) => Buffer.compare(a.key, b.key) || Buffer.compare(a.rangeEnd, b.rangeEnd));
    roles.push({ name: roleName, permissions });
  }
  const users: AccessUserSpec[] = [];
  for (const [userName, user] of Object.entries(file.users)) {
    user.roles.forEach((role, index) => {
      if (role !== 'root' && !(role in file.roles)) issues.push({ path: ['users', userName, 'roles', index], message: `no role ${role} in the file` });
    });
    const wanted = new Set(user.roles);
    if (userName === 'root') wanted.add('root');
    users.push({ name: userName, roles: [...wanted].sort(), ...(user.passwordFile ? { passwordFile: user.passwordFile } : {}) });
  }
  if (issues.length) {
    throw new AccessFileError(issues, `${name}: ${issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return { auth: file.auth, roles, users };
}

/**
 * Reads a password file (Docker secrets convention): the content without one trailing newline.
 * @throws {ConfigError} `CONFIG_INVALID_DOCUMENT` naming the file (never its content) when it
 *   cannot be read or is empty.
 */
export function readPasswordFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError('CONFIG_INVALID_DOCUMENT', `cannot read the password file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  const password = text.replace(/\r?\n$/, '');
  if (!password) throw new ConfigError('CONFIG_INVALID_DOCUMENT', `the password file ${path} is empty`);
  return password;
}
