import { EtcdCluster, etcdctl, freePort } from '@etcd-patterns/etcd-cluster';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parse as parseYaml } from 'yaml';
import { PassThrough } from 'node:stream';
import { z } from 'zod';
import { publish, setupConfigAccess, storeZodSchema } from '@etcd-patterns/config';
import { createEtcdClient } from '@etcd-patterns/etcd';
import { runEpctl } from './program';
import { EPCTL, runEpctlProcess } from './spawn-epctl.int-helper';

jest.setTimeout(180_000);

describe('epctl (real process, real etcd)', () => {
  let cluster: EtcdCluster;
  let dir: string;
  const cleanups: Array<() => void> = [];
  const file = (name: string, content: string): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const epctl = (...args: string[]) => runEpctlProcess(['--endpoints', cluster.endpoints.join(','), ...args]);

  beforeAll(async () => {
    mkdirSync(join(__dirname, '..', '..', '..', 'tmp'), { recursive: true });
    cluster = await EtcdCluster.start({ size: 1 });
    dir = mkdtempSync(join(tmpdir(), 'epctl-test-'));
  });
  afterAll(async () => {
    await cluster?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    for (const cleanup of cleanups) cleanup();
  });

  it('publishes, gets, lists history, diffs and rolls back', async () => {
    const v1 = file('v1.yaml', 'server:\n  port: 8080\n  host: 0.0.0.0\nfeatures: [a, b]\ngreeting: hello\n');
    const v2 = file('v2.json', JSON.stringify({ server: { port: 9090, host: '0.0.0.0' }, greeting: 'hi' }));

    const p1 = await epctl('config', 'publish', 'prod/greeter', v1, '--author', 'alice', '-m', 'first');
    expect(p1).toMatchObject({ code: 0 });
    expect(p1.stdout).toContain('published prod/greeter version 1');
    expect(p1.stdout).toContain('+ server/port: 8080');

    const p2 = await epctl('--json', 'config', 'publish', 'prod/greeter', v2, '--author', 'bob', '--base-version', '1');
    expect(p2.code).toBe(0);
    expect(JSON.parse(p2.stdout)).toMatchObject({ version: 2, meta: { author: 'bob', baseVersion: 1 }, diff: { changed: [{ path: 'greeting', from: 'hello', to: 'hi' }, { path: 'server/port', from: 8080, to: 9090 }] } });

    const get = await epctl('config', 'get', 'prod/greeter');
    expect(get.code).toBe(0);
    expect(parseYaml(get.stdout)).toEqual({ server: { port: 9090, host: '0.0.0.0' }, greeting: 'hi' });
    expect(get.stderr).toContain('version 2');
    const getOld = await epctl('--json', 'config', 'get', 'prod/greeter', '--version', '1');
    expect(JSON.parse(getOld.stdout)).toMatchObject({ version: 1, author: 'alice', document: { features: ['a', 'b'] } });

    const history = await epctl('config', 'history', 'prod/greeter');
    expect(history.code).toBe(0);
    expect(history.stdout.split('\n')[0]).toMatch(/^VERSION\s+REVISION\s+TIME\s+AUTHOR\s+MESSAGE/);
    expect(history.stdout).toMatch(/\n2\s.*bob/);
    expect(history.stdout).toMatch(/\n1\s.*alice\s+first/);

    const diff = await epctl('config', 'diff', 'prod/greeter', '1', '2');
    expect(diff.stdout.trim().split('\n')).toEqual(['- features: ["a","b"]', '~ greeting: "hello" -> "hi"', '~ server/port: 8080 -> 9090']);
    const diffJson = JSON.parse((await epctl('--json', 'config', 'diff', 'prod/greeter', '1', '2')).stdout) as { removed: unknown[] };
    expect(diffJson.removed).toEqual([{ path: 'features', value: ['a', 'b'] }]);

    const back = await epctl('config', 'rollback', 'prod/greeter', '1', '--author', 'carol');
    expect(back.code).toBe(0);
    expect(back.stdout).toContain('now version 3');
    const after = await epctl('--json', 'config', 'get', 'prod/greeter');
    expect(JSON.parse(after.stdout)).toMatchObject({ version: 3, drift: false, document: { server: { port: 8080, host: '0.0.0.0' }, features: ['a', 'b'], greeting: 'hello' } });
  });

  it('refuses bad YAML with its line number, and exits 3', async () => {
    const bad = file('bad.yaml', 'server:\n  port: 8080\n  hosts: [a, b\ngreeting: hello\n');
    const run = await epctl('config', 'publish', 'prod/yaml', bad);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`${bad}:4:`);
    expect(run.stderr).toMatch(/line 4/);
    const dup = file('dup.yaml', 'a: 1\nb: 2\na: 3\n');
    const dupRun = await epctl('--json', 'config', 'publish', 'prod/yaml', dup);
    expect(dupRun.code).toBe(3);
    expect(JSON.parse(dupRun.stderr)).toMatchObject({ error: { code: 'CONFIG_INVALID_DOCUMENT', message: expect.stringContaining(':3:') } });
    const list = file('list.yaml', '- a\n- b\n');
    expect((await epctl('config', 'publish', 'prod/yaml', list)).code).toBe(3);
    expect((await epctl('config', 'history', 'prod/yaml')).stdout).toContain('(no versions)');
  });

  it('refuses a document that fails the schema (file or stored), and writes nothing', async () => {
    const schema = file('schema.json', JSON.stringify({
      type: 'object',
      properties: { port: { type: 'integer', minimum: 1, maximum: 65535 }, name: { type: 'string' } },
      required: ['port', 'name'],
    }));
    // A schema module imports zod from its own location: keep it inside the repository (tmp/ is ignored).
    const moduleDir = mkdtempSync(join(__dirname, '..', '..', '..', 'tmp', 'epctl-schema-'));
    const zodSchema = join(moduleDir, 'schema.ts');
    writeFileSync(zodSchema, "import { z } from 'zod';\nexport const schema = z.object({ port: z.number().int().positive(), name: z.string() });\n");
    cleanups.push(() => rmSync(moduleDir, { recursive: true, force: true }));
    const good = file('good.yaml', 'port: 80\nname: web\n');
    const bad = file('bad-schema.yaml', 'port: 0\n');
    expect((await epctl('config', 'publish', 'prod/schema', good, '--schema', schema)).code).toBe(0);

    const run = await epctl('config', 'publish', 'prod/schema', bad, '--schema', schema);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('CONFIG_VALIDATION_FAILED');
    expect(run.stderr).toMatch(/port: .*>=\s?1/);
    expect(run.stderr).toContain('name:');
    const viaModule = await epctl('--json', 'config', 'publish', 'prod/schema', bad, '--schema', zodSchema);
    expect(viaModule.code).toBe(3);
    expect(JSON.parse(viaModule.stderr).error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['name', 'port']);

    expect((await epctl('config', 'schema', 'set', 'prod/schema', schema)).code).toBe(0);
    const stored = await epctl('config', 'publish', 'prod/schema', bad);
    expect(stored.code).toBe(3);
    expect(stored.stderr).toContain('stored schema');
    const dry = await epctl('config', 'publish', 'prod/schema', good, '--dry-run');
    expect(dry).toMatchObject({ code: 0, stdout: expect.stringContaining('(no changes)') });
    expect(JSON.parse((await epctl('--json', 'config', 'history', 'prod/schema')).stdout)).toHaveLength(1);
  });

  /** epctl in this process, with a `confirm` like the real CLI has on a terminal. */
  const epctlAsking = async (confirm: (question: string) => Promise<boolean>, ...args: string[]) => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await runEpctl(['--endpoints', cluster.endpoints.join(','), ...args], { stdout, stderr, confirm });
    return { code, stdout: out, stderr: err };
  };
  const liveDocument = async (namespace: string): Promise<{ version: number; document: Record<string, unknown> }> =>
    JSON.parse((await epctl('--json', 'config', 'get', namespace)).stdout) as { version: number; document: Record<string, unknown> };

  it('changes single settings with set and publish --merge, keeping the others', async () => {
    const ns = 'dev/merge';
    expect((await epctl('config', 'publish', ns, file('m1.yaml', "template: 'Hello, {name}!'\nmaxNameLength: 100\nserver:\n  port: 1\n"))).code).toBe(0);
    const set = await epctl('config', 'set', ns, 'template=Hi {name}', 'server/port=8080');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('~ server/port: 1 -> 8080');
    expect(await liveDocument(ns)).toMatchObject({ version: 2, document: { template: 'Hi {name}', maxNameLength: 100, server: { port: 8080 } } });

    const merged = await epctl('config', 'publish', '--merge', ns, file('patch.yaml', 'maxNameLength: 10\nserver: null\n'), '-m', 'patch');
    expect(merged.code).toBe(0);
    expect(await liveDocument(ns)).toMatchObject({ version: 3, document: { template: 'Hi {name}', maxNameLength: 10 } });
    expect((await liveDocument(ns)).document).not.toHaveProperty('server');
    // A quoted value stays a string.
    expect((await epctl('config', 'set', ns, `maxNameLength="12"`)).code).toBe(0);
    expect((await liveDocument(ns)).document['maxNameLength']).toBe('12');
    expect((await epctl('config', 'set', ns, 'no-equals-sign')).code).toBe(2);
  });

  it('says which settings a publish removes; on a terminal it asks, and no writes nothing', async () => {
    const ns = 'dev/remove';
    expect((await epctl('config', 'publish', ns, file('r1.yaml', "template: 'Hello, {name}!'\nmaxNameLength: 100\n"))).code).toBe(0);
    const onlyTemplate = file('r2.yaml', "template: 'Hey {name}'\n");

    const questions: string[] = [];
    const declined = await epctlAsking(async (q) => (questions.push(q), false), 'config', 'publish', ns, onlyTemplate);
    expect(declined.code).toBe(8);
    expect(questions).toHaveLength(1);
    expect(questions[0]).toContain('removes 1 setting(s)');
    expect(questions[0]).toContain('maxNameLength');
    expect((await liveDocument(ns)).version).toBe(1);

    const accepted = await epctlAsking(async () => true, 'config', 'publish', ns, onlyTemplate);
    expect(accepted.code).toBe(0);
    expect(await liveDocument(ns)).toEqual(expect.objectContaining({ version: 2, document: { template: 'Hey {name}' } }));

    // Without a terminal (a script): a warning, then the publish.
    const scripted = await epctl('config', 'set', ns, 'template=null', 'greeting=hi');
    expect(scripted.code).toBe(0);
    expect(scripted.stderr).toContain('warning: this publish removes 1 setting(s): template');
    // --yes: no question at all.
    const asked: string[] = [];
    expect((await epctlAsking(async (q) => (asked.push(q), false), 'config', 'publish', '--yes', ns, onlyTemplate)).code).toBe(0);
    expect(asked).toEqual([]);
  });

  it("refuses, at the door with exit 3 and line:column, what the app's stored zod schema refuses", async () => {
    const ns = 'dev/door';
    const client = await createEtcdClient({ endpoints: cluster.endpoints });
    try {
      const schema = z.object({ template: z.string().regex(/\{name\}/, 'must contain {name}'), maxNameLength: z.number().int().default(100) });
      expect(await storeZodSchema({ client, namespace: ns, schema })).toBe(true);
      expect(await storeZodSchema({ client, namespace: ns, schema })).toBe(false);
    } finally {
      client.close();
    }
    const bad = file('door.yaml', 'template: no placeholder\nmaxNameLength: ten\n');
    const run = await epctl('config', 'publish', ns, bad);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`${bad}:1:11: template:`);
    expect(run.stderr).toContain(`${bad}:2:16: maxNameLength:`);
    const missing = file('door-missing.yaml', 'maxNameLength: 5\n');
    const json = await epctl('--json', 'config', 'publish', ns, missing);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stderr).error.issues).toEqual([expect.objectContaining({ path: 'template', at: `${missing}:1:1` })]);
    expect((await epctl('config', 'history', ns)).stdout).toContain('(no versions)');
  });

  it('exits 4 on a conflict, reporting the current version', async () => {
    const doc = file('c.yaml', 'a: 1\n');
    expect((await epctl('config', 'publish', 'prod/conflict', doc)).code).toBe(0);
    expect((await epctl('config', 'publish', 'prod/conflict', doc, '--base-version', '1')).code).toBe(0);
    const stale = await epctl('--json', 'config', 'publish', 'prod/conflict', doc, '--base-version', '1');
    expect(stale.code).toBe(4);
    expect(JSON.parse(stale.stderr)).toMatchObject({ error: { code: 'CONFIG_CONFLICT', baseVersion: 1, currentVersion: 2 } });
    const human = await epctl('config', 'publish', 'prod/conflict', doc, '--base-version', '1');
    expect(human.code).toBe(4);
    expect(human.stderr).toContain('version 2');
  });

  it('exits 6 when etcd is unreachable, 7 for what does not exist, 2 for a bad command line', async () => {
    const port = await freePort();
    const down = await runEpctlProcess(['--endpoints', `127.0.0.1:${port}`, 'config', 'get', 'prod/x']);
    expect(down.code).toBe(6);
    expect(down.stderr).toContain('ETCD_UNAVAILABLE');
    expect((await epctl('config', 'get', 'prod/nothing')).code).toBe(7);
    expect((await epctl('config', 'diff', 'prod/nothing', '1', '2')).code).toBe(7);
    expect((await epctl('config', 'get', 'not-a-namespace')).code).toBe(3);
    expect((await epctl('config', 'diff', 'prod/x', 'one', '2')).code).toBe(2);
    expect((await epctl('config', 'frobnicate')).code).toBe(2);
  });

  it('config watch prints changes and refused changes as JSON lines until interrupted', async () => {
    const first = file('w1.yaml', 'port: 1\n');
    expect((await epctl('config', 'publish', 'prod/watched', first)).code).toBe(0);
    const schema = file('w-schema.json', JSON.stringify({ type: 'object', properties: { port: { type: 'integer' } }, required: ['port'] }));
    const child = spawn(EPCTL, ['--endpoints', cluster.endpoints.join(','), '--json', 'config', 'watch', 'prod/watched', '--schema', schema], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const nextLine = async (): Promise<Record<string, unknown>> => JSON.parse(((await lines.next()).value as string)) as Record<string, unknown>;
    try {
      expect(await nextLine()).toMatchObject({ type: 'change', version: 1, document: { port: 1 } });
      await etcdctl(cluster.endpoints, ['put', '/config/prod/watched/values/port', '"oops"']);
      expect(await nextLine()).toMatchObject({ type: 'error', error: { code: 'CONFIG_VALIDATION_FAILED', issues: [{ path: 'port' }] } });
      expect((await epctl('config', 'publish', 'prod/watched', file('w2.yaml', 'port: 2\n'))).code).toBe(0);
      expect(await nextLine()).toMatchObject({ type: 'change', version: 2, source: 'publish', diff: { changed: [{ path: 'port', from: 1, to: 2 }] } });
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });

  it('access setup enables auth with per-app users', async () => {
    const secured = await EtcdCluster.start({ size: 1 });
    try {
      const endpoints = secured.endpoints.join(',');
      const setup = await runEpctlProcess(['--endpoints', endpoints, 'access', 'setup', '--root-password', 'rootpw', '--app', 'prod/greeter=gpw', '--app', 'prod/billing=bpw']);
      expect(setup.code).toBe(0);
      expect(setup.stdout).toContain('user greeter@prod: read /config/prod/greeter/; readwrite /services/greeter/');
      const doc = file('acl.yaml', 'a: 1\n');
      const anonymous = await runEpctlProcess(['--endpoints', endpoints, 'config', 'publish', 'prod/billing', doc]);
      expect(anonymous.code).toBe(5);
      expect(anonymous.stderr).toContain('ETCD_AUTH_FAILED');
      expect((await runEpctlProcess(['--endpoints', endpoints, '--user', 'root:rootpw', 'config', 'publish', 'prod/billing', doc])).code).toBe(0);
      const denied = await runEpctlProcess(['--endpoints', endpoints, '--user', 'greeter@prod:gpw', 'config', 'get', 'prod/billing']);
      expect(denied.code).toBe(5);
      expect(denied.stderr).toContain('ETCD_PERMISSION_DENIED');
      const own = await runEpctlProcess(['--endpoints', endpoints, '--user', 'billing@prod', '--password', 'bpw', 'config', 'get', 'prod/billing']);
      expect(own).toMatchObject({ code: 0, stdout: 'a: 1\n' });
    } finally {
      await secured.close();
    }
  });

  // Moved from libs/config's access.int-spec.ts with the CLI: the same users, set up by the library.
  it('exits 5 with a clear message for denied access and bad credentials', async () => {
    const secured = await EtcdCluster.start({ size: 1 });
    try {
      const admin = await createEtcdClient({ endpoints: secured.endpoints });
      try {
        await setupConfigAccess({
          client: admin,
          rootPassword: 'rootpw',
          apps: [
            { env: 'prod', app: 'greeter', password: 'greeter-pw' },
            { env: 'prod', app: 'billing', password: 'billing-pw', registryPrefix: '/registry/billing/' },
          ],
        });
      } finally {
        admin.close();
      }
      const root = await createEtcdClient({ endpoints: secured.endpoints, username: 'root', password: 'rootpw' });
      try {
        await publish({ client: root, namespace: 'prod/greeter', document: { greeting: 'hello' }, author: 'ops' });
      } finally {
        root.close();
      }

      const endpoints = secured.endpoints.join(',');
      const denied = await runEpctlProcess(['--endpoints', endpoints, '--user', 'billing@prod:billing-pw', 'config', 'get', 'prod/greeter']);
      expect(denied.code).toBe(5);
      expect(denied.stderr).toContain('ETCD_PERMISSION_DENIED');
      const wrong = await runEpctlProcess(['--endpoints', endpoints, '--user', 'root', '--password', 'nope', '--json', 'config', 'history', 'prod/greeter']);
      expect(wrong.code).toBe(5);
      expect(JSON.parse(wrong.stderr)).toMatchObject({ error: { code: 'ETCD_AUTH_FAILED' } });
      const ok = await runEpctlProcess(['--endpoints', endpoints, '--user', 'root:rootpw', '--json', 'config', 'history', 'prod/greeter']);
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject([{ version: 1, author: 'ops' }]);
    } finally {
      await secured.close();
    }
  });
});
