import { throwIfAborted, toEtcdError, type Etcd3 } from '@etcd-patterns/etcd';
import * as etcd3 from 'etcd3';
import { describeRange, readPasswordFile, type AccessPermission, type AccessPermissionType, type AccessSpec } from './access-file';
import { ConfigError } from './errors';

/** One step of an {@link AccessPlan}; `action` is what it does, `subject` what it does it to. */
export type AccessChange =
  | { readonly action: 'add' | 'remove'; readonly subject: 'role'; readonly role: string }
  | { readonly action: 'add' | 'remove'; readonly subject: 'permission'; readonly role: string; readonly type: AccessPermissionType; readonly range: string }
  | { readonly action: 'change'; readonly subject: 'permission'; readonly role: string; readonly type: AccessPermissionType; readonly from: AccessPermissionType; readonly range: string }
  | { readonly action: 'add'; readonly subject: 'user'; readonly user: string; readonly password: 'from-file' | 'none' }
  | { readonly action: 'remove'; readonly subject: 'user'; readonly user: string }
  | { readonly action: 'change'; readonly subject: 'password'; readonly user: string; readonly why: 'differs' | 'unverifiable' }
  | { readonly action: 'add' | 'remove'; readonly subject: 'user-role'; readonly user: string; readonly role: string }
  | { readonly action: 'change'; readonly subject: 'auth'; readonly to: 'enabled' | 'disabled' };

/** What etcd's access control looks like now (see {@link readAccessState}). */
export interface AccessState {
  readonly authEnabled: boolean;
  /** User name to its roles. */
  readonly users: ReadonlyMap<string, readonly string[]>;
  /** Role name to its permissions (`root` is listed without permissions: it may do everything). */
  readonly roles: ReadonlyMap<string, readonly AccessPermission[]>;
}

/**
 * The changes that bring etcd to an access file. Holds the passwords read from the files for
 * {@link applyAccessPlan}, but never shows them: `toJSON()` and {@link formatAccessPlan} list
 * changes only.
 */
export class AccessPlan {
  readonly #passwords: ReadonlyMap<string, string>;
  readonly #ranges: ReadonlyMap<string, AccessPermission>;

  /** @internal Made by {@link planAccess}. */
  constructor(
    /** The changes, in the order they are applied. */
    readonly changes: readonly AccessChange[],
    passwords: ReadonlyMap<string, string>,
    ranges: ReadonlyMap<string, AccessPermission>,
  ) {
    this.#passwords = passwords;
    this.#ranges = ranges;
  }

  /** True when etcd already matches the file. */
  get empty(): boolean {
    return this.changes.length === 0;
  }

  /** @internal */
  passwordOf(user: string): string | undefined {
    return this.#passwords.get(user);
  }

  /** @internal The exact range of a planned permission change (by role and described range). */
  rangeOf(role: string, range: string): AccessPermission | undefined {
    return this.#ranges.get(`${role}\u0000${range}`);
  }

  toJSON(): { changes: readonly AccessChange[] } {
    return { changes: this.changes };
  }
}

/** Options of {@link planAccess}. */
export interface PlanAccessOptions {
  /** Remove users, roles, permissions and role grants that the file does not list (never `root`). */
  readonly prune?: boolean;
  /** The user the client is logged in as (undefined when not logged in), so a plan that would lock it out is refused. */
  readonly caller?: string;
  readonly signal?: AbortSignal;
}

const TYPE_NAME: Record<AccessPermissionType, string> = { Read: 'read', Write: 'write', Readwrite: 'readwrite' };

/**
 * Reads users, their roles, and the roles' permissions. `authEnabled` is what the caller knows
 * (a client that logged in means auth is on; etcd 3.4 has no AuthStatus call).
 * @throws {EtcdPatternsError} `ETCD_PERMISSION_DENIED` unless the client may administer auth
 *   (root, or anyone while auth is disabled).
 */
export async function readAccessState(client: Etcd3, authEnabled: boolean): Promise<AccessState> {
  try {
    const users = new Map<string, readonly string[]>();
    for (const name of (await client.auth.userList()).users) {
      users.set(name, [...(await client.auth.userGet({ name })).roles].sort());
    }
    const roles = new Map<string, readonly AccessPermission[]>();
    for (const role of (await client.auth.roleList()).roles) {
      if (role === 'root') {
        roles.set(role, []);
        continue;
      }
      const perms = (await client.auth.roleGet({ role })).perm.map((p) => ({ type: p.permType, key: Buffer.from(p.key), rangeEnd: Buffer.from(p.range_end) }));
      roles.set(role, perms);
    }
    return { authEnabled, users, roles };
  } catch (error) {
    throw toEtcdError(error, 'reading etcd users and roles');
  }
}

/**
 * Whether etcd auth is enabled, asked in a way every etcd version answers (3.4 has no
 * AuthStatus): an authenticate call for a user that does not exist fails with "authentication
 * failed" when auth is on and "not enabled" when it is off.
 * @throws {EtcdPatternsError} `ETCD_*` when etcd cannot be asked.
 */
export async function isAuthEnabled(client: Etcd3): Promise<boolean> {
  try {
    await client.auth.authenticate({ name: '\u0000epctl-auth-probe', password: '\u0000' });
    return true;
  } catch (error) {
    if (error instanceof etcd3.EtcdAuthenticationFailedError) return true;
    const e = toEtcdError(error, 'asking whether auth is enabled');
    if (e.code === 'ETCD_AUTH_NOT_ENABLED') return false;
    throw e;
  }
}

/**
 * Compares an access file with etcd and lists the changes (nothing is written). Passwords are
 * read from each user's `passwordFile`; with auth enabled, an existing user's password is
 * checked by authenticating with it, so a password that already matches is no change (with
 * auth disabled it cannot be checked and is set again).
 *
 * Refuses, with `CONFIG_ACCESS_UNSAFE`, a plan that would lock the operator out: enabling auth
 * without a `root` user whose password the file gives; removing `root` (user or role) or its
 * root role (never planned: `root` is kept even with `prune`); removing or demoting the user
 * the client is logged in as; leaving no user with the root role.
 *
 * @throws {ConfigError} `CONFIG_INVALID_DOCUMENT` for an unreadable or empty password file,
 *   `CONFIG_ACCESS_UNSAFE`; `ETCD_*` errors.
 */
export async function planAccess(client: Etcd3, spec: AccessSpec, state: AccessState, options: PlanAccessOptions = {}): Promise<AccessPlan> {
  throwIfAborted(options.signal);
  const changes: AccessChange[] = [];
  const ranges = new Map<string, AccessPermission>();
  const passwords = new Map<string, string>();
  for (const user of spec.users) if (user.passwordFile) passwords.set(user.name, readPasswordFile(user.passwordFile));

  const enabling = spec.auth === 'enabled' && !state.authEnabled;
  const specUsers = new Map(spec.users.map((u) => [u.name, u]));
  const specRoles = new Map(spec.roles.map((r) => [r.name, r]));
  if (enabling) {
    if (!passwords.has('root')) {
      throw new ConfigError(
        'CONFIG_ACCESS_UNSAFE',
        'refusing to enable auth: the file gives no password for the root user (users.root.passwordFile); without it nobody could administer etcd afterwards',
      );
    }
  }
  const needsRootRole = (spec.users.some((u) => u.roles.includes('root')) || enabling) && !state.roles.has('root');
  if (needsRootRole) changes.push({ action: 'add', subject: 'role', role: 'root' });

  // Roles and their permissions.
  for (const role of spec.roles) {
    const current = state.roles.get(role.name);
    if (!current) changes.push({ action: 'add', subject: 'role', role: role.name });
    const existing = current ?? [];
    for (const perm of role.permissions) {
      const range = describeRange(perm.key, perm.rangeEnd);
      ranges.set(`${role.name}\u0000${range}`, perm);
      const same = existing.find((p) => p.key.equals(perm.key) && p.rangeEnd.equals(perm.rangeEnd));
      if (!same) changes.push({ action: 'add', subject: 'permission', role: role.name, type: perm.type, range });
      else if (same.type !== perm.type) changes.push({ action: 'change', subject: 'permission', role: role.name, type: perm.type, from: same.type, range });
    }
    if (options.prune) {
      for (const p of existing) {
        if (role.permissions.some((w) => w.key.equals(p.key) && w.rangeEnd.equals(p.rangeEnd))) continue;
        const range = describeRange(p.key, p.rangeEnd);
        ranges.set(`${role.name}\u0000${range}`, p);
        changes.push({ action: 'remove', subject: 'permission', role: role.name, type: p.type, range });
      }
    }
  }

  // Users, passwords and role grants.
  const grantsAdded: AccessChange[] = [];
  const grantsRemoved: AccessChange[] = [];
  for (const user of spec.users) {
    const current = state.users.get(user.name);
    const password = passwords.get(user.name);
    if (!current) {
      changes.push({ action: 'add', subject: 'user', user: user.name, password: password === undefined ? 'none' : 'from-file' });
    } else if (password !== undefined) {
      if (!state.authEnabled) changes.push({ action: 'change', subject: 'password', user: user.name, why: 'unverifiable' });
      else if (!(await passwordMatches(client, user.name, password))) changes.push({ action: 'change', subject: 'password', user: user.name, why: 'differs' });
    }
    for (const role of user.roles) {
      if (!current?.includes(role)) grantsAdded.push({ action: 'add', subject: 'user-role', user: user.name, role });
    }
    if (options.prune && current) {
      for (const role of current) {
        if (!user.roles.includes(role)) grantsRemoved.push({ action: 'remove', subject: 'user-role', user: user.name, role });
      }
    }
  }
  changes.push(...grantsAdded, ...grantsRemoved);
  if (options.prune) {
    for (const name of state.users.keys()) {
      if (name !== 'root' && !specUsers.has(name)) changes.push({ action: 'remove', subject: 'user', user: name });
    }
    for (const name of state.roles.keys()) {
      if (name !== 'root' && !specRoles.has(name)) changes.push({ action: 'remove', subject: 'role', role: name });
    }
  }
  if (enabling) changes.push({ action: 'change', subject: 'auth', to: 'enabled' });
  if (spec.auth === 'disabled' && state.authEnabled) changes.push({ action: 'change', subject: 'auth', to: 'disabled' });

  refuseLockout(changes, spec, state, options.caller);
  return new AccessPlan(changes, passwords, ranges);
}

function refuseLockout(changes: readonly AccessChange[], spec: AccessSpec, state: AccessState, caller: string | undefined): void {
  // What users hold after the plan.
  const after = new Map<string, Set<string>>([...state.users].map(([u, r]) => [u, new Set(r)]));
  for (const c of changes) {
    if (c.subject === 'user' && c.action === 'add') after.set(c.user, new Set());
    if (c.subject === 'user' && c.action === 'remove') after.delete(c.user);
    if (c.subject === 'user-role' && c.action === 'add') after.get(c.user)?.add(c.role);
    if (c.subject === 'user-role' && c.action === 'remove') after.get(c.user)?.delete(c.role);
  }
  const root = after.get('root');
  const authOn = (state.authEnabled && spec.auth !== 'disabled') || spec.auth === 'enabled';
  if (authOn && !root?.has('root')) {
    throw new ConfigError('CONFIG_ACCESS_UNSAFE', 'refusing: with auth enabled the root user must exist and keep the root role');
  }
  if (authOn && ![...after.values()].some((roles) => roles.has('root'))) {
    throw new ConfigError('CONFIG_ACCESS_UNSAFE', 'refusing: no user would have the root role');
  }
  if (caller && state.authEnabled && spec.auth !== 'disabled') {
    const had = state.users.get(caller)?.includes('root') ?? false;
    const has = after.get(caller)?.has('root') ?? false;
    if (!after.has(caller)) {
      throw new ConfigError('CONFIG_ACCESS_UNSAFE', `refusing: the plan removes the user ${caller}, which is applying it; list it in the file or apply as another root user`);
    }
    if (had && !has) {
      throw new ConfigError('CONFIG_ACCESS_UNSAFE', `refusing: the plan revokes the root role of ${caller}, which is applying it; apply as another root user`);
    }
  }
}

async function passwordMatches(client: Etcd3, name: string, password: string): Promise<boolean> {
  try {
    await client.auth.authenticate({ name, password });
    return true;
  } catch (error) {
    if (error instanceof etcd3.EtcdAuthenticationFailedError) return false;
    throw toEtcdError(error, `checking the password of ${name}`);
  }
}

/** Options of {@link applyAccessPlan}. */
export interface ApplyAccessPlanOptions {
  /** Called after each change is applied (for progress output). */
  readonly onApplied?: (change: AccessChange) => void;
  /** Aborts between changes. */
  readonly signal?: AbortSignal;
}

/**
 * Applies the changes of a plan in order (roles and permissions, users and passwords, grants,
 * removals, and auth last). Stops at the first failure; run `planAccess` again to see what is
 * left (each step is idempotent).
 *
 * Two runs racing (two `epctl access apply` at once) cannot both add the same role or user:
 * the second to try finds it made by the other (or auth enabled under it) and stops there with
 * `CONFIG_ACCESS_CONFLICT`, having applied only steps of the same file; the other run goes on
 * to the end. Running the plan again then finds nothing (or only what is left) to do.
 * @throws {ConfigError} `CONFIG_ACCESS_CONFLICT` when etcd changed under the plan;
 *   {@link EtcdPatternsError} `ETCD_*` from etcd, `ABORTED`.
 */
export async function applyAccessPlan(client: Etcd3, plan: AccessPlan, options: ApplyAccessPlanOptions = {}): Promise<void> {
  const enablesAuth = plan.changes.some((c) => c.subject === 'auth' && c.to === 'enabled');
  for (const change of plan.changes) {
    throwIfAborted(options.signal);
    try {
      await applyOne(client, plan, change);
    } catch (error) {
      const what = `applying "${describeChange(change)}"`;
      const e = toEtcdError(error, what);
      // Planned with auth off, and now refused for want of a user: someone enabled auth meanwhile.
      const authEnabledMeanwhile = enablesAuth && (e.code === 'ETCD_AUTH_FAILED' || e.code === 'ETCD_PERMISSION_DENIED');
      if (changedMeanwhile(error) || authEnabledMeanwhile) {
        throw new ConfigError(
          'CONFIG_ACCESS_CONFLICT',
          `etcd's users and roles changed while this plan was applied (another access apply at the same time?): stopped at ${what}; plan again to see what is left`,
          { cause: error },
        );
      }
      throw e;
    }
    options.onApplied?.(change);
  }
}

// etcd's answers for an add of what exists, or a change of what is gone (FAILED_PRECONDITION),
// as etcd3 types them.
function changedMeanwhile(error: unknown): boolean {
  return (
    error instanceof etcd3.EtcdRoleExistsError ||
    error instanceof etcd3.EtcdUserExistsError ||
    error instanceof etcd3.EtcdRoleNotFoundError ||
    error instanceof etcd3.EtcdUserNotFoundError ||
    error instanceof etcd3.EtcdRoleNotGrantedError
  );
}

async function applyOne(client: Etcd3, plan: AccessPlan, c: AccessChange): Promise<void> {
  const auth = client.auth;
  switch (c.subject) {
    case 'role':
      if (c.action === 'add') await auth.roleAdd({ name: c.role });
      else await auth.roleDelete({ role: c.role });
      return;
    case 'permission': {
      const perm = plan.rangeOf(c.role, c.range)!;
      if (c.action === 'remove') await auth.roleRevokePermission({ role: c.role, key: perm.key, range_end: perm.rangeEnd });
      else await auth.roleGrantPermission({ name: c.role, perm: { permType: c.type, key: perm.key, range_end: perm.rangeEnd } });
      return;
    }
    case 'user':
      if (c.action === 'remove') await auth.userDelete({ name: c.user });
      else {
        const password = plan.passwordOf(c.user);
        await auth.userAdd(password === undefined ? { name: c.user, options: { no_password: true } } : { name: c.user, password });
      }
      return;
    case 'password':
      await auth.userChangePassword({ name: c.user, password: plan.passwordOf(c.user)! });
      return;
    case 'user-role':
      if (c.action === 'add') await auth.userGrantRole({ user: c.user, role: c.role });
      else await auth.userRevokeRole({ name: c.user, role: c.role });
      return;
    case 'auth':
      if (c.to === 'enabled') await auth.authEnable();
      else await auth.authDisable();
      return;
  }
}

/** One line for a change, e.g. `+ role viewer: read /`, `~ user greeter: password`. Never a password. */
export function describeChange(c: AccessChange): string {
  const sign = c.action === 'add' ? '+' : c.action === 'remove' ? '-' : '~';
  switch (c.subject) {
    case 'role':
      return `${sign} role ${c.role}`;
    case 'permission':
      return c.action === 'change'
        ? `${sign} role ${c.role}: ${TYPE_NAME[c.from]} -> ${TYPE_NAME[c.type]} ${c.range}`
        : `${sign} role ${c.role}: ${TYPE_NAME[c.type]} ${c.range}`;
    case 'user':
      return c.action === 'add' ? `${sign} user ${c.user}${c.password === 'none' ? ' (no password: client certificate login only)' : ''}` : `${sign} user ${c.user}`;
    case 'password':
      return `${sign} user ${c.user}: password ${c.why === 'differs' ? 'changes' : 'set again (cannot be checked while auth is disabled)'}`;
    case 'user-role':
      return `${sign} user ${c.user}: role ${c.role}`;
    case 'auth':
      return `${sign} auth: ${c.to === 'enabled' ? 'enable' : 'disable'}`;
  }
}

/** The plan as text, one change a line, or a note that nothing changes. */
export function formatAccessPlan(plan: AccessPlan): string {
  if (plan.empty) return 'no changes: etcd matches the file\n';
  const counts = { add: 0, change: 0, remove: 0 };
  for (const c of plan.changes) counts[c.action]++;
  return `${plan.changes.map(describeChange).join('\n')}\n${counts.add} to add, ${counts.change} to change, ${counts.remove} to remove\n`;
}
