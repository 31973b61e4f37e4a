// `epctl access apply` under bad input and abuse, as real processes against a real etcd
// (1 member, loopback ports chosen at run time): garbage files, unknown users and wrong
// passwords, and two runs racing on a fresh cluster.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdCluster, etcdctl } from '@etcd-patterns/etcd-cluster';
import { runEpctlProcess } from './spawn-epctl.int-helper';

jest.setTimeout(120_000);

const SHIPPED = join(__dirname, '..', '..', '..', 'deploy', 'access.yaml');
const USERS = ['root', 'greeter', 'gateway', 'worker', 'console', 'operator', 'backup', 'viewer'];

describe('epctl access apply: bad input and abuse (real processes, real etcd)', () => {
  let cluster: EtcdCluster;
  let dir: string;
  let endpoints: string;
  const passwords = new Map<string, string>();
  const printed: string[] = [];

  const epctl = async (args: string[]) => {
    const r = await runEpctlProcess(['--endpoints', endpoints, ...args]);
    printed.push(r.stdout, r.stderr);
    return r;
  };
  const file = (name: string, content: string): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const asRoot = (): string[] => ['--user', `root:${passwords.get('root')}`];
  /** Users, roles and every role's permissions, as etcdctl lists them (root's view). */
  const snapshot = async (auth: boolean): Promise<string> => {
    const cred = auth ? asRoot() : [];
    const users = (await etcdctl(cluster.endpoints, [...cred, 'user', 'list'])).stdout.trim().split('\n').filter(Boolean).sort();
    const roles = (await etcdctl(cluster.endpoints, [...cred, 'role', 'list'])).stdout.trim().split('\n').filter(Boolean).sort();
    const details = await Promise.all([
      ...users.map(async (u) => (await etcdctl(cluster.endpoints, [...cred, 'user', 'get', u])).stdout),
      ...roles.map(async (r) => (await etcdctl(cluster.endpoints, [...cred, 'role', 'get', r])).stdout),
    ]);
    return details.join('\n');
  };

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 1 });
    endpoints = cluster.endpoints.join(',');
    dir = mkdtempSync(join(tmpdir(), 'epctl-abuse-'));
    for (const user of USERS) {
      const password = `pw-${user}-${Math.random().toString(36).slice(2)}`;
      passwords.set(user, password);
      writeFileSync(join(dir, `etcd-${user}-password`), `${password}\n`, { mode: 0o600 });
    }
  });
  afterAll(async () => {
    await cluster?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    for (const text of printed.splice(0)) for (const pw of passwords.values()) expect(text).not.toContain(pw);
  });

  it('refuses garbage with file:line:column and applies nothing, even with --yes', async () => {
    const garbage = [
      ['unclosed.yaml', 'auth: enabled\nroles:\n  app:\n    read: [/a/, /b/\nusers: {}\n', /unclosed\.yaml:\d+:\d+/],
      ['tabs.yaml', 'roles:\n\tapp:\n\t\tread: [/a/]\n', /tabs\.yaml:2:\d+/],
      ['binary.yaml', '\u0000\u0001\u0002 roles: ][', /binary\.yaml:1:\d+/],
      ['wrong-type.yaml', 'roles:\n  app:\n    read: 42\n', /wrong-type\.yaml:3:11: roles\.app\.read/],
      ['not-a-map.yaml', '- just\n- a list\n', /not-a-map\.yaml:1:1/],
    ] as const;
    for (const [name, content, where] of garbage) {
      const r = await epctl(['access', 'apply', file(name, content), '--yes']);
      expect({ name, code: r.code }).toEqual({ name, code: 3 });
      expect(r.stderr).toMatch(where);
      expect(r.stdout).not.toMatch(/applied/);
    }
    expect((await etcdctl(cluster.endpoints, ['user', 'list'])).stdout.trim()).toBe('');
    expect((await etcdctl(cluster.endpoints, ['role', 'list'])).stdout.trim()).toBe('');
  });

  it('ends two racing runs on a fresh cluster with one winner and the file applied exactly', async () => {
    const path = file('access.yaml', readFileSync(SHIPPED, 'utf8').replaceAll('/run/secrets/', `${dir}/`));
    const [a, b] = await Promise.all([epctl(['access', 'apply', path, '--yes']), epctl(['access', 'apply', path, '--yes'])]);
    // One applies its plan to the end. The other stops with a clear conflict (exit 4) where it
    // met the winner's changes, or, when nothing it planned collided, ends too: never a generic
    // failure, never a half-applied mix (both plans come from the same file).
    const winners = [a, b].filter((r) => r.code === 0);
    expect(winners.length).toBeGreaterThanOrEqual(1);
    for (const r of winners) expect(r.stdout).toMatch(/applied \d+ changes\n$/);
    // The loser may also find auth enabled by the winner under its feet: its next anonymous call
    // is then refused (exit 5, ETCD_AUTH_FAILED), which is as clear and applies nothing more.
    for (const loser of [a, b].filter((r) => r.code !== 0)) {
      expect({ code: loser.code, conflict: loser.code === 4 ? /CONFIG_ACCESS_CONFLICT.*another access apply/.test(loser.stderr) : /ETCD_AUTH_FAILED|auth/i.test(loser.stderr) }).toEqual({
        code: expect.any(Number) as number,
        conflict: true,
      });
      expect([4, 5]).toContain(loser.code);
    }
    // The result is the file: a third run, as root now that auth is on, plans nothing.
    const again = await epctl([...asRoot(), 'access', 'apply', path, '--prune', '--dry-run']);
    expect(again).toMatchObject({ code: 0, stdout: 'no changes: etcd matches the file\n' });
    const users = (await etcdctl(cluster.endpoints, [...asRoot(), 'user', 'list'])).stdout.trim().split('\n').sort();
    expect(users).toEqual([...USERS].sort());
    const state = await snapshot(true);
    expect(state).toMatch(/User: operator\nRoles: ops root/);
    expect(state).toMatch(/Role worker\nKV Read:\n(.*\n)*KV Write:\n(.*\n)*\s+\[\/locks\/jobs\/, \/locks\/jobs0\)/);
    // Auth is on: no credentials, no answer.
    expect((await etcdctl(cluster.endpoints, ['get', '/x'])).code).not.toBe(0);
  });

  it('exits 5 with a clear message for a user that does not exist or a wrong password', async () => {
    const path = join(dir, 'access.yaml');
    const unknown = await epctl(['--user', 'nobody:whatever', 'access', 'apply', path, '--dry-run']);
    expect(unknown.code).toBe(5);
    expect(unknown.stderr).toMatch(/ETCD_AUTH_FAILED.*(user name or password|authentication failed)/i);
    const wrong = await epctl(['--user', 'root:not-the-password', '--json', 'access', 'apply', path, '--dry-run']);
    expect(wrong.code).toBe(5);
    expect(JSON.parse(wrong.stderr)).toMatchObject({ error: { code: 'ETCD_AUTH_FAILED' } });
    // A real user without the rights to read users and roles: denied, also 5.
    const viewer = await epctl(['--user', `viewer:${passwords.get('viewer')}`, 'access', 'apply', path, '--dry-run']);
    expect(viewer.code).toBe(5);
    expect(viewer.stderr).toMatch(/ETCD_PERMISSION_DENIED/);
  });
});
