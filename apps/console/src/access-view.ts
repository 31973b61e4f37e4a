import type { AccessView } from '@etcd-patterns/console-contract';
import { prefixRangeEnd, type Etcd3 } from '@etcd-patterns/etcd';
import { ApiException, consoleEtcdError } from './api-error';
import { mapLimit } from './lease-ttl';

type PermissionType = 'read' | 'write' | 'readwrite';
const TO_ETCD: Readonly<Record<PermissionType, 'Read' | 'Write' | 'Readwrite'>> = { read: 'Read', write: 'Write', readwrite: 'Readwrite' };

/** etcd's permission type (`Read`, `READ`, 0, ...) as the contract spells it. */
function permissionType(value: unknown): PermissionType {
  const v = String(value).toLowerCase();
  if (v === 'write' || v === '1') return 'write';
  if (v === 'readwrite' || v === '2') return 'readwrite';
  return 'read';
}

/** The key range of a permission: one key, or every key starting with `key` (`''`: all keys). */
export function permissionRange(key: string, prefix: boolean): { key: Buffer; range_end: Buffer } {
  if (!prefix) return { key: Buffer.from(key), range_end: Buffer.alloc(0) };
  if (key === '') return { key: Buffer.from([0]), range_end: Buffer.from([0]) };
  return { key: Buffer.from(key), range_end: prefixRangeEnd(Buffer.from(key)) };
}

function describeRange(key: Buffer, rangeEnd: Buffer): { key: string; rangeEnd: string; prefix: boolean } {
  const all = key.equals(Buffer.from([0])) && rangeEnd.equals(Buffer.from([0]));
  if (all) return { key: '', rangeEnd: '\u0000', prefix: true };
  const prefix = rangeEnd.length > 0 && key.length > 0 && rangeEnd.equals(prefixRangeEnd(key));
  return { key: key.toString('utf8'), rangeEnd: rangeEnd.toString('utf8'), prefix };
}

const call = async <T>(context: string, fn: () => Promise<T>): Promise<T> => {
  try {
    return await fn();
  } catch (error) {
    throw consoleEtcdError(error, context);
  }
};

/**
 * Users with their roles and roles with their permissions, from etcd's auth API (which answers
 * only root, once auth is on: others get 403).
 */
export async function accessView(client: Etcd3, authEnabled: boolean): Promise<AccessView> {
  const [userNames, roleNames] = await Promise.all([
    call('listing users', () => client.auth.userList()).then((r) => r.users ?? []),
    call('listing roles', () => client.auth.roleList()).then((r) => r.roles ?? []),
  ]);
  const users = await mapLimit(userNames, 8, async (name) => ({ name, roles: (await call(`reading user ${name}`, () => client.auth.userGet({ name }))).roles ?? [] }));
  const roles = await mapLimit(roleNames, 8, async (name) => {
    const perms = (await call(`reading role ${name}`, () => client.auth.roleGet({ role: name }))).perm ?? [];
    return { name, permissions: perms.map((p) => ({ type: permissionType(p.permType), ...describeRange(p.key, p.range_end) })) };
  });
  return { authEnabled, users, roles };
}

/** The auth-admin writes of the contract's `/api/access/...` routes. */
export const accessWrites = {
  addUser: (client: Etcd3, name: string, password: string) => call(`adding user ${name}`, () => client.auth.userAdd({ name, password })),
  addRole: (client: Etcd3, name: string) => call(`adding role ${name}`, () => client.auth.roleAdd({ name })),
  grantRole: (client: Etcd3, user: string, role: string) => call(`granting role ${role} to ${user}`, () => client.auth.userGrantRole({ user, role })),
  revokeRole: (client: Etcd3, user: string, role: string) => call(`revoking role ${role} from ${user}`, () => client.auth.userRevokeRole({ name: user, role })),
  grantPermission: (client: Etcd3, role: string, type: PermissionType, key: string, prefix: boolean) =>
    call(`granting ${type} on ${key} to ${role}`, () => client.auth.roleGrantPermission({ name: role, perm: { permType: TO_ETCD[type], ...permissionRange(key, prefix) } })),
  revokePermission: (client: Etcd3, role: string, key: string, prefix: boolean) =>
    call(`revoking ${key} from ${role}`, () => client.auth.roleRevokePermission({ role, ...permissionRange(key, prefix) })),
};

/**
 * Enables etcd auth, refusing (409 `ACCESS_LOCKOUT`) unless it can be administered afterwards: a
 * user `root` must exist and hold the `root` role, and the caller must be that user (with auth
 * off, etcd cannot check who the caller is: the name typed at sign-in must be `root`, and the
 * caller must then know root's password to sign in again). The same checks that
 * `setupConfigAccess` of `@etcd-patterns/config` relies on.
 */
export async function enableAuth(client: Etcd3, callerName: string): Promise<void> {
  if (callerName !== 'root') {
    throw new ApiException(409, 'ACCESS_LOCKOUT', `refusing to enable auth: you are signed in as ${JSON.stringify(callerName)}, not root; sign in as root (you will need root's password afterwards)`);
  }
  let rootRoles: string[];
  try {
    rootRoles = (await client.auth.userGet({ name: 'root' })).roles ?? [];
  } catch (error) {
    const e = consoleEtcdError(error, 'reading user root');
    if (e.code !== 'ETCD_NOT_FOUND') throw e;
    throw new ApiException(409, 'ACCESS_LOCKOUT', 'refusing to enable auth: there is no user root (create it with a password, and grant it the root role)');
  }
  if (!rootRoles.includes('root')) throw new ApiException(409, 'ACCESS_LOCKOUT', 'refusing to enable auth: the user root does not hold the root role (grant it first)');
  await call('enabling auth', () => client.auth.authEnable());
}
