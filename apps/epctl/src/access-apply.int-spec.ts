import { EtcdCluster, etcdctl } from '@etcd-patterns/etcd-cluster';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { getConfig, publish } from '@etcd-patterns/config';
import { createEtcdClient, Session, toEtcdError, type Etcd3 } from '@etcd-patterns/etcd';
import { Mutex } from '@etcd-patterns/lock';
import { runEpctl } from './program';

jest.setTimeout(180_000);

const USERS = ['root', 'greeter', 'gateway', 'worker', 'console', 'operator', 'backup', 'viewer'];
const SHIPPED = join(__dirname, '..', '..', '..', 'deploy', 'access.yaml');

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('epctl access apply (real etcd)', () => {
  let cluster: EtcdCluster;
  let dir: string;
  const passwords = new Map<string, string>();
  const clients: Etcd3[] = [];
  const printed: string[] = [];

  const run = async (args: string[], confirm?: (q: string) => Promise<boolean>) => {
    const stdout = new Sink();
    const stderr = new Sink();
    const code = await runEpctl(['--endpoints', cluster.endpoints.join(','), ...args], { stdout, stderr, ...(confirm ? { confirm } : {}) });
    printed.push(stdout.text, stderr.text);
    return { code, stdout: stdout.text, stderr: stderr.text };
  };
  const asRoot = ['--user', `root:${'x'}`]; // replaced in beforeAll
  const login = async (user: string): Promise<Etcd3> => {
    const c = await createEtcdClient({ endpoints: cluster.endpoints, username: user, password: passwords.get(user)! });
    clients.push(c);
    return c;
  };
  /** The shipped file, with its password files moved into the test's directory. */
  const shipped = (): string => readFileSync(SHIPPED, 'utf8').replaceAll('/run/secrets/', `${dir}/`);
  const file = (name: string, content: string): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const users = async (): Promise<string> => (await etcdctl(cluster.endpoints, ['--user', `root:${passwords.get('root')}`, 'user', 'list'])).stdout;

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 1 });
    dir = mkdtempSync(join(tmpdir(), 'epctl-access-'));
    for (const user of USERS) {
      const password = `pw-${user}-${Math.random().toString(36).slice(2)}`;
      passwords.set(user, password);
      writeFileSync(join(dir, `etcd-${user}-password`), `${password}\n`);
    }
    asRoot[1] = `root:${passwords.get('root')}`;
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await cluster?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    // Passwords are never printed, whatever the command did.
    for (const text of printed.splice(0)) for (const pw of passwords.values()) expect(text).not.toContain(pw);
  });

  it('points at the line and column of a bad entry', async () => {
    const bad = file('bad.yaml', 'roles:\n  app:\n    reed: [/a/]\n');
    const r = await run(['access', 'apply', bad, '--dry-run']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/bad\.yaml:3:5: roles\.app: .*reed/);
    const unknown = file('unknown.yaml', 'roles:\n  app:\n    read: [/a/]\nusers:\n  app:\n    roles: [app, nope]\n');
    const u = await run(['access', 'apply', unknown, '--dry-run']);
    expect(u.code).toBe(3);
    expect(u.stderr).toMatch(/unknown\.yaml:6:18: users\.app\.roles\.1: no role nope in the file/);
  });

  it('refuses to enable auth without the root password, and changes nothing', async () => {
    const noRoot = file('no-root.yaml', shipped().replace(/ {2}root:\n {4}passwordFile: .*\n/, ''));
    const r = await run(['access', 'apply', noRoot, '--yes']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/refusing to enable auth: the file gives no password for the root user/);
    expect((await etcdctl(cluster.endpoints, ['user', 'list'])).stdout.trim()).toBe('');
  });

  it('prints the plan on a dry run, refuses a script without --yes, and changes nothing either way', async () => {
    const path = file('access.yaml', shipped());
    const dry = await run(['access', 'apply', path, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('+ role root');
    expect(dry.stdout).toContain('+ role worker: readwrite /locks/jobs/');
    expect(dry.stdout).toContain('+ role greeter: read /config/prod/greeter/');
    expect(dry.stdout).toContain('+ role greeter: readwrite /config/_schema/prod/greeter');
    expect(dry.stdout).toContain('+ user operator: role root');
    expect(dry.stdout).toMatch(/~ auth: enable\n\d+ to add, 1 to change, 0 to remove\ndry run: nothing was changed/);
    const script = await run(['access', 'apply', path]);
    expect(script.code).toBe(2);
    expect(script.stderr).toMatch(/pass --yes/);
    const declined = await run(['access', 'apply', path], async () => false);
    expect(declined.code).toBe(8);
    const list = await etcdctl(cluster.endpoints, ['user', 'list']);
    expect(list).toMatchObject({ code: 0, stdout: '' });
  });

  it('bootstraps root, applies the shipped file and enables auth; a second run plans nothing', async () => {
    const path = file('access.yaml', shipped());
    const asked: string[] = [];
    const r = await run(['access', 'apply', path], async (q) => {
      asked.push(q);
      return true;
    });
    expect(r).toMatchObject({ code: 0 });
    expect(asked).toEqual([expect.stringMatching(/^Apply these \d+ changes to etcd\?$/)]);
    expect(r.stdout).toMatch(/applied \d+ changes/);
    // Auth is on: no credentials, no answer.
    expect((await etcdctl(cluster.endpoints, ['get', '/x'])).code).not.toBe(0);
    for (const user of USERS) expect(await users()).toContain(user);

    // epctl's own login from ETCD_PASSWORD_FILE (Docker secrets), and nothing to do.
    process.env['ETCD_PASSWORD_FILE'] = join(dir, 'etcd-root-password');
    try {
      const again = await run(['--user', 'root', 'access', 'apply', path, '--yes']);
      expect(again).toMatchObject({ code: 0, stdout: 'no changes: etcd matches the file\n' });
      const json = await run(['--user', 'root', '--json', 'access', 'apply', path, '--prune']);
      expect(JSON.parse(json.stdout)).toEqual({ changes: [], applied: false, dryRun: false });
    } finally {
      delete process.env['ETCD_PASSWORD_FILE'];
    }
  });

  it('lets each app do its own work and denies the rest, changing nothing', async () => {
    const root = await login('root');
    const greeter = await login('greeter');
    const viewer = await login('viewer');
    await publish({ client: root, namespace: 'prod/gateway', document: { routes: 1 }, author: 'test' });
    await publish({ client: root, namespace: 'prod/greeter', document: { greeting: 'hello' }, author: 'test' });
    const denied = (p: Promise<unknown>) => p.then(() => 'allowed', (e: unknown) => toEtcdError(e).code);

    // Its own work: its registration, its config, the registry.
    await greeter.put('/services/greeter/127.0.0.1:1').value('{}').exec();
    expect((await getConfig({ client: greeter, namespace: 'prod/greeter' })).document).toEqual({ greeting: 'hello' });
    expect(await greeter.getAll().prefix('/services/').keys()).toContain('/services/greeter/127.0.0.1:1');

    // Not its work.
    expect(await denied(greeter.put('/services/worker/127.0.0.1:2').value('{}').exec())).toBe('ETCD_PERMISSION_DENIED');
    expect(await denied(getConfig({ client: greeter, namespace: 'prod/gateway' }))).toBe('ETCD_PERMISSION_DENIED');
    const session = await Session.create(greeter, { ttlSeconds: 10 });
    try {
      expect(await denied(new Mutex(session, '/locks/jobs/42').lock())).toBe('ETCD_PERMISSION_DENIED');
    } finally {
      await session.close();
    }
    expect(await denied(publish({ client: viewer, namespace: 'prod/greeter', document: { greeting: 'hacked' }, author: 'viewer' }))).toBe('ETCD_PERMISSION_DENIED');
    expect(await denied(viewer.put('/services/greeter/evil').value('{}').exec())).toBe('ETCD_PERMISSION_DENIED');

    // Nothing changed.
    expect((await root.getAll().prefix('/services/worker/').keys())).toEqual([]);
    expect((await root.getAll().prefix('/locks/jobs/').keys())).toEqual([]);
    const live = await getConfig({ client: root, namespace: 'prod/greeter' });
    expect(live).toMatchObject({ version: 1, document: { greeting: 'hello' } });
  });

  it('changes and, with --prune, removes what the file no longer lists (never root)', async () => {
    const admin = ['--user', `root:${passwords.get('root')}`];
    // Drift made by hand.
    const rootArgs = ['--user', `root:${passwords.get('root')}`];
    expect((await etcdctl(cluster.endpoints, [...rootArgs, 'user', 'add', 'stray:stray-pw'])).code).toBe(0);
    expect((await etcdctl(cluster.endpoints, [...rootArgs, 'role', 'grant-permission', 'greeter', '--prefix=true', 'readwrite', '/jobs/'])).code).toBe(0);
    // The file: no viewer any more, and the gateway only writes /jobs/.
    const changed = shipped()
      .replace(/ {2}viewer:\n {4}read: \[\/\]\n/, '')
      .replace(/ {2}viewer:\n {4}roles: \[viewer\]\n {4}passwordFile: .*\n/, '')
      .replace('readwrite: [/services/gateway/, /jobs/]', 'readwrite: [/services/gateway/]\n    write: [/jobs/]');
    const path = file('changed.yaml', changed);

    const plain = await run([...admin, 'access', 'apply', path, '--yes']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe('~ role gateway: readwrite -> write /jobs/\n0 to add, 1 to change, 0 to remove\napplied 1 changes\n');

    const pruned = await run([...admin, 'access', 'apply', path, '--prune', '--yes']);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout.split('\n').filter((l) => /^[-+~] /.test(l)).sort()).toEqual(
      ['- role greeter: readwrite /jobs/', '- role viewer', '- user stray', '- user viewer'].sort(),
    );
    expect(await users()).not.toMatch(/stray|viewer/);
    expect(await users()).toContain('root');
    expect((await run([...admin, 'access', 'apply', path, '--prune', '--yes'])).stdout).toBe('no changes: etcd matches the file\n');
  });

  it('refuses a plan that would lock out the user applying it', async () => {
    const withoutOperator = file('no-operator.yaml', shipped().replace(/ {2}operator:\n {4}roles: \[ops, root\]\n {4}passwordFile: .*\n/, ''));
    const asOperator = ['--user', `operator:${passwords.get('operator')}`];
    const r = await run([...asOperator, 'access', 'apply', withoutOperator, '--prune', '--yes']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/refusing: the plan removes the user operator, which is applying it/);
    const demoted = file('demoted.yaml', shipped().replace('roles: [ops, root]', 'roles: [ops]'));
    const d = await run([...asOperator, 'access', 'apply', demoted, '--prune', '--yes']);
    expect(d.code).toBe(3);
    expect(d.stderr).toMatch(/revokes the root role of operator/);
    expect(await users()).toContain('operator');
    // root listed without its role still keeps it: the file cannot demote root.
    const rootOnlyOps = file('root-ops.yaml', shipped().replace(/ {2}root:\n/, '  root:\n    roles: [ops]\n'));
    const plan = await run(['--user', `root:${passwords.get('root')}`, 'access', 'apply', rootOnlyOps, '--prune', '--dry-run']);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('+ user root: role ops');
    expect(plan.stdout).not.toContain('- user root: role root');
  });
});
