import { throwIfAborted, toEtcdError, type Etcd3 } from '@etcd-patterns/etcd';
import * as etcd3 from 'etcd3';
import { ConfigError } from './errors';
import { ConfigNamespace, DEFAULT_CONFIG_ROOT } from './namespace';

/** One application to create an etcd user for. */
export interface AppAccess {
  /** Environment, e.g. `prod`. */
  readonly env: string;
  /** Application, e.g. `greeter`. */
  readonly app: string;
  /** The password of the app's user (set, or reset when the user exists). */
  readonly password: string;
  /** Prefix the app may read and write for its service registrations. Default `/services/<app>/`. */
  readonly registryPrefix?: string;
  /** User (and role) name. Default `<app>@<env>`. */
  readonly user?: string;
}

/** Options for {@link setupConfigAccess}. */
export interface SetupConfigAccessOptions {
  /**
   * A client that may administer auth: unauthenticated while auth is still disabled, or
   * logged in as `root` once it is enabled.
   */
  readonly client: Etcd3;
  /** The apps to create users for (may be empty to only enable auth). */
  readonly apps: readonly AppAccess[];
  /** Password for the `root` user when it has to be created (required then). */
  readonly rootPassword?: string;
  /** Config root prefix, default `/config`. */
  readonly root?: string;
  /** Enable etcd auth at the end (default true; a no-op when it is already enabled). */
  readonly enableAuth?: boolean;
  /** Aborts between steps. */
  readonly signal?: AbortSignal;
}

/** What {@link setupConfigAccess} set up for one app. */
export interface AppAccessResult {
  readonly user: string;
  readonly role: string;
  /** Key prefixes with read-only access. */
  readonly read: readonly string[];
  /** Key prefixes with read-write access. */
  readonly readWrite: readonly string[];
}

/**
 * Turns on etcd's own access control for the configuration center. Idempotent: run it again
 * to add apps or reset passwords.
 *
 * 1. Ensures a `root` user with the `root` role exists (created with `rootPassword` if missing).
 * 2. For each app: a user and a role of the same name (default `<app>@<env>`) whose only
 *    permissions are READ on the app's live config prefix `<root>/<env>/<app>/` (so the app
 *    can `watchConfig` its own configuration and nothing else: not other apps, not the
 *    history, not other environments), READWRITE on its registry prefix (default
 *    `/services/<app>/`), on its replicas' applied reports `<root>/_applied/<env>/<app>/` and on
 *    its own stored schema key (written at start by `storeZodSchema`). Permissions of an existing role that are not these are revoked.
 * 3. Enables auth. From then on every client needs credentials; publishing needs `root` (or a
 *    user you grant READWRITE on `<root>/`).
 *
 * An app reading another app's configuration gets `ETCD_PERMISSION_DENIED`; a wrong password
 * gets `ETCD_AUTH_FAILED` (from `createEtcdClient`).
 *
 * @throws {ConfigError} `CONFIG_INVALID_NAMESPACE` for a bad env/app/prefix,
 *   `CONFIG_INVALID_DOCUMENT` when `root` must be created and no `rootPassword` was given;
 *   `ETCD_*` errors (e.g. `ETCD_PERMISSION_DENIED` when the client is not root).
 */
export async function setupConfigAccess(options: SetupConfigAccessOptions): Promise<AppAccessResult[]> {
  const { client, signal } = options;
  throwIfAborted(signal);
  const plans = options.apps.map((a) => {
    const ns = ConfigNamespace.parse(`${a.env}/${a.app}`, options.root ?? DEFAULT_CONFIG_ROOT);
    const registry = a.registryPrefix ?? `/services/${a.app}/`;
    if (!registry.startsWith('/') || !registry.endsWith('/') || registry.length < 3) {
      throw new ConfigError('CONFIG_INVALID_NAMESPACE', `registry prefix ${JSON.stringify(registry)} must start and end with '/'`);
    }
    if (registry.startsWith(`${ns.root}/`)) {
      throw new ConfigError('CONFIG_INVALID_NAMESPACE', `registry prefix ${registry} may not lie under the config root ${ns.root}/`);
    }
    const name = a.user ?? `${a.app}@${a.env}`;
    return { ns, registry, name, password: a.password };
  });
  try {
    await ensureUser(client, 'root', options.rootPassword, true);
    await ensureRole(client, 'root');
    await client.user('root').addRole('root');
    const results: AppAccessResult[] = [];
    for (const plan of plans) {
      throwIfAborted(signal);
      await ensureUser(client, plan.name, plan.password, false);
      const role = await ensureRole(client, plan.name);
      const wanted = [
        { permission: 'Read' as const, range: etcd3.Range.prefix(plan.ns.livePrefix) },
        { permission: 'Readwrite' as const, range: etcd3.Range.prefix(plan.registry) },
        // Its replicas' applied reports, and its own stored schema (written at start).
        { permission: 'Readwrite' as const, range: etcd3.Range.prefix(plan.ns.appliedPrefix) },
        { permission: 'Readwrite' as const, range: exactKey(plan.ns.schemaKey) },
      ];
      for (const existing of await role.permissions()) {
        if (!wanted.some((w) => w.permission === existing.permission && w.range.start.equals(existing.range.start) && w.range.end.equals(existing.range.end))) {
          await role.revoke(existing);
        }
      }
      await role.grant(wanted);
      await client.user(plan.name).addRole(plan.name);
      results.push({ user: plan.name, role: plan.name, read: [plan.ns.livePrefix], readWrite: [plan.registry, plan.ns.appliedPrefix, plan.ns.schemaKey] });
    }
    if (options.enableAuth !== false) {
      throwIfAborted(signal);
      await client.auth.authEnable();
    }
    return results;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw toEtcdError(error, 'setting up config access');
  }
}

function exactKey(key: string): etcd3.Range {
  const start = Buffer.from(key);
  return new etcd3.Range(start, Buffer.concat([start, Buffer.from([0])]));
}

async function ensureUser(client: Etcd3, name: string, password: string | undefined, keepPassword: boolean): Promise<void> {
  try {
    await client.auth.userGet({ name });
    if (password !== undefined && !keepPassword) await client.user(name).setPassword(password);
    return;
  } catch (error) {
    if (!(error instanceof etcd3.EtcdUserNotFoundError)) throw error;
  }
  if (password === undefined) {
    throw new ConfigError('CONFIG_INVALID_DOCUMENT', `the etcd user ${name} does not exist: a password is needed to create it`);
  }
  await client.user(name).create(password);
}

async function ensureRole(client: Etcd3, name: string): Promise<etcd3.Role> {
  const role = client.role(name);
  try {
    await role.create();
  } catch (error) {
    if (!(error instanceof etcd3.EtcdRoleExistsError)) throw error;
  }
  return role;
}
