import { createEtcdClient, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster, etcdctl } from '@etcd-patterns/etcd-cluster';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { runEpctl } from './program';

jest.setTimeout(180_000);

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs epctl in this process; `answer` plays the user at a terminal (absent: a script). */
async function epctlIn(endpoints: readonly string[], args: readonly string[], answer?: boolean): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await runEpctl(['--endpoints', endpoints.join(','), ...args], {
    stdout,
    stderr,
    ...(answer === undefined ? {} : { confirm: () => Promise.resolve(answer) }),
  });
  return { code, stdout: out, stderr: err };
}

const json = <T>(run: Run): T => JSON.parse(run.stdout) as T;

describe('epctl cluster (real 3-member cluster)', () => {
  let cluster: EtcdCluster;
  let client: Etcd3;
  let dir: string;
  const epctl = (args: readonly string[], answer?: boolean): Promise<Run> => epctlIn(cluster.endpoints, args, answer);

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 3 });
    client = await createEtcdClient({ endpoints: cluster.endpoints });
    dir = mkdtempSync(join(tmpdir(), 'epctl-cluster-'));
    for (let i = 0; i < 200; i++) await client.put(`/cli/k${i % 50}`).value(`v${i}`);
  });
  afterAll(async () => {
    client?.close();
    await cluster?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('status, health, members and alarms print tables, and JSON arrays with --json', async () => {
    const table = await epctl(['cluster', 'status']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/\|\s+ENDPOINT\s+\|/);
    expect(table.stdout.split('\n').filter((l) => l.startsWith('| 127.0.0.1:') || l.startsWith('| http://127.0.0.1:'))).toHaveLength(3);

    const status = json<Array<{ ok: boolean; isLeader: boolean; dbSize: number; raftTerm: number; name: string }>>(await epctl(['--json', 'cluster', 'status']));
    expect(status).toHaveLength(3);
    expect(status.every((s) => s.ok && s.dbSize > 0 && s.raftTerm > 0)).toBe(true);
    expect(status.filter((s) => s.isLeader)).toHaveLength(1);

    const health = json<Array<{ healthy: boolean }>>(await epctl(['--json', 'cluster', 'health']));
    expect(health.map((h) => h.healthy)).toEqual([true, true, true]);
    const list = json<Array<{ id: string; name: string; isLearner: boolean }>>(await epctl(['--json', 'cluster', 'members']));
    expect(list.map((m) => m.name).sort()).toEqual(['m0', 'm1', 'm2']);
    const reference = (await etcdctl(cluster.endpoints, ['member', 'list', '-w', 'simple'])).stdout;
    for (const m of list) expect(reference).toContain(`${m.id}, started, ${m.name}`);
    expect((await epctl(['cluster', 'alarms'])).stdout).toBe('no active alarms\n');
    expect(json(await epctl(['--json', 'cluster', 'alarms']))).toEqual([]);
  });

  it('exits 6 when a member does not answer, and still prints every row', async () => {
    const frozen = cluster.member(2);
    frozen.pause();
    try {
      const run = await epctl(['--json', 'cluster', 'status']);
      expect(run.code).toBe(6);
      const rows = json<Array<{ ok: boolean; endpoint: string; error?: { code: string } }>>(run);
      expect(rows).toHaveLength(3);
      expect(rows.filter((r) => !r.ok)).toEqual([expect.objectContaining({ endpoint: expect.stringContaining(frozen.endpoint) })]);
      expect(JSON.parse(run.stderr)).toMatchObject({ error: { code: 'ETCD_UNAVAILABLE' } });
      const health = await epctl(['cluster', 'health']);
      expect(health.code).toBe(6);
      expect(health.stdout).toContain('false');
    } finally {
      frozen.resume();
    }
  });

  it('asks before defrag and compact: a script needs --yes, "no" exits 8, unknown members exit 7', async () => {
    const script = await epctl(['cluster', 'defrag', '--member', 'm1']);
    expect(script.code).toBe(2);
    expect(script.stderr).toContain('pass --yes');
    const declined = await epctl(['cluster', 'compact'], false);
    expect(declined.code).toBe(8);
    expect(declined.stderr).toContain('nothing was changed');
    // Still not compacted: an old revision is readable.
    expect((await etcdctl(cluster.endpoints, ['get', '/cli/k0', '--rev=5'])).code).toBe(0);
    expect((await epctl(['cluster', 'defrag', '--member', 'nobody', '--yes'])).code).toBe(7);
    expect((await epctl(['cluster', 'compact', 'abc', '--yes'])).code).toBe(2);
    expect((await epctl(['cluster', 'compact', '999999999', '--yes'])).code).toBe(2);

    const compacted = json<{ revision: number }>(await epctl(['--json', 'cluster', 'compact'], true));
    expect(compacted.revision).toBeGreaterThan(200);
    expect((await etcdctl(cluster.endpoints, ['get', '/cli/k0', '--rev=5'])).stderr).toContain('compacted');
    const defrag = json<Array<{ member: string; dbSizeBefore: number; dbSizeAfter: number }>>(await epctl(['--json', 'cluster', 'defrag', '--yes']));
    expect(defrag.map((d) => d.member).sort()).toEqual(['m0', 'm1', 'm2']);
    expect(defrag.every((d) => d.dbSizeAfter <= d.dbSizeBefore)).toBe(true);
  });

  it('moves the leader, and adds, promotes and removes a member', async () => {
    const status = json<Array<{ name: string; isLeader: boolean }>>(await epctl(['--json', 'cluster', 'status']));
    const target = status.find((s) => !s.isLeader)!.name;
    const moved = await epctl(['cluster', 'move-leader', target]);
    expect(moved).toMatchObject({ code: 0, stdout: expect.stringContaining(`to ${target}`) });
    expect((await epctl(['cluster', 'move-leader', 'nobody'])).code).toBe(7);

    const spec = await cluster.newMemberSpec('m3');
    let added: Run;
    // etcd refuses reconfiguration for 5 s after a member (re)connects: exit 6, retry.
    for (;;) {
      added = await epctl(['cluster', 'member', 'add', 'm3', '--peer-urls', spec.peerUrl]);
      if (added.code !== 6) break;
      await sleep(300);
    }
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('ETCD_INITIAL_CLUSTER_STATE="existing"');
    const initialCluster = /ETCD_INITIAL_CLUSTER="([^"]+)"/.exec(added.stdout)![1]!;
    const joined = await cluster.startJoining(spec, initialCluster);
    let promoted: Run;
    for (;;) {
      promoted = await epctl(['cluster', 'member', 'promote', 'm3']);
      if (promoted.code !== 6 && promoted.code !== 3 && promoted.code !== 7) break;
      await sleep(300);
    }
    expect(promoted.code).toBe(0);
    const four = json<Array<{ name: string; isLearner: boolean }>>(await epctl(['--json', 'cluster', 'members']));
    expect(four.filter((m) => !m.isLearner).map((m) => m.name).sort()).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect((await epctl(['cluster', 'member', 'remove', 'm3'])).code).toBe(2);
    expect((await epctl(['cluster', 'member', 'remove', 'm3'], false)).code).toBe(8);
    let removed: Run;
    for (;;) {
      removed = await epctl(['cluster', 'member', 'remove', 'm3', '--yes']);
      if (removed.code !== 6) break;
      await sleep(300);
    }
    expect(removed.code).toBe(0);
    await cluster.forget(joined);
    expect(json<unknown[]>(await epctl(['--json', 'cluster', 'members']))).toHaveLength(3);
  });

  it('saves a verified snapshot whose status agrees with etcdctl, refuses damaged files (exit 3), and restores', async () => {
    const file = join(dir, 'backup.db');
    const saved = await epctl(['--json', 'cluster', 'snapshot', 'save', file]);
    expect(saved.code).toBe(0);
    expect(json(saved)).toMatchObject({ path: file, verified: 'full' });
    expect(readdirSync(dir)).toEqual(['backup.db']);

    const ours = json<{ revision: number; totalKeys: number; totalSize: number; hash: number; sha256Verified: boolean }>(await epctl(['--json', 'cluster', 'snapshot', 'status', file]));
    const theirs = JSON.parse((await etcdctl([], ['snapshot', 'status', file, '-w', 'json'])).stdout) as { hash: number; revision: number; totalKey: number; totalSize: number };
    expect(ours).toMatchObject({ revision: theirs.revision, totalKeys: theirs.totalKey, totalSize: theirs.totalSize, hash: theirs.hash, sha256Verified: true });
    expect((await epctl(['cluster', 'snapshot', 'status', file])).stdout).toMatch(/HASH.*REVISION.*TOTAL KEYS/);

    const bytes = readFileSync(file);
    const truncated = join(dir, 'truncated.db');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const corrupt = join(dir, 'corrupt.db');
    const flipped = Buffer.from(bytes);
    flipped[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(corrupt, flipped);
    for (const bad of [truncated, corrupt]) {
      const status = await epctl(['cluster', 'snapshot', 'status', bad]);
      expect(status.code).toBe(3);
      expect(status.stderr).toContain('OPS_SNAPSHOT_INVALID');
      const restore = await epctl(['cluster', 'snapshot', 'restore', bad, '--data-dir', join(dir, 'never'), '--name', 'r0', '--initial-cluster', 'r0=http://127.0.0.1:1', '--initial-advertise-peer-urls', 'http://127.0.0.1:1', '--yes']);
      expect(restore.code).toBe(3);
      expect(existsSync(join(dir, 'never'))).toBe(false);
    }

    const dataDir = join(dir, 'restored');
    const restoreArgs = ['cluster', 'snapshot', 'restore', file, '--data-dir', dataDir, '--name', 'r0', '--initial-cluster', 'r0=http://127.0.0.1:2380', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380'];
    expect((await epctl(restoreArgs)).code).toBe(2);
    const restored = await epctl([...restoreArgs, '--yes']);
    expect(restored).toMatchObject({ code: 0, stdout: expect.stringContaining(`restored revision ${ours.revision}`) });
    expect(existsSync(join(dataDir, 'member', 'snap', 'db'))).toBe(true);
    // A second restore into the same directory is refused; nothing is overwritten.
    expect((await epctl([...restoreArgs, '--yes'])).code).toBe(2);
  });

  it('reports a missing restore tool with exit 11 and writes nothing', async () => {
    const file = join(dir, 'backup.db');
    const saved = { PATH: process.env['PATH'], ETCDCTL_BIN: process.env['ETCDCTL_BIN'], ETCDUTL_BIN: process.env['ETCDUTL_BIN'] };
    // A PATH without etcdctl or etcdutl (the tool is looked up when the command runs).
    process.env['PATH'] = join(dir, 'empty-path');
    delete process.env['ETCDCTL_BIN'];
    delete process.env['ETCDUTL_BIN'];
    let run: Run;
    try {
      run = await epctl(['cluster', 'snapshot', 'restore', file, '--data-dir', join(dir, 'no-tool'), '--name', 'r0', '--initial-cluster', 'r0=http://127.0.0.1:2380', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380', '--yes']);
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
    expect(run.stderr).toContain('OPS_TOOL_MISSING');
    expect(run.stderr).toContain('etcd-client');
    expect(run.code).toBe(11);
    expect(existsSync(join(dir, 'no-tool'))).toBe(false);
  });
});

describe('epctl cluster on a full cluster (NOSPACE)', () => {
  let cluster: EtcdCluster;
  let client: Etcd3;
  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 1, extraArgs: ['--quota-backend-bytes=4194304'] });
    client = await createEtcdClient({ endpoints: cluster.endpoints });
  });
  afterAll(async () => {
    client?.close();
    await cluster?.close();
  });

  it('shows the alarm, exits 9 on writes, and compact + defrag + disarm bring writes back', async () => {
    const chunk = 'n'.repeat(256 * 1024);
    for (let i = 0; i < 200; i++) {
      if (!(await client.put('/fill').value(`${i}${chunk}`).exec().then(() => true, () => false))) break;
    }
    const epctl = (args: readonly string[]): Promise<Run> => epctlIn(cluster.endpoints, args);
    expect(json<Array<{ alarm: string }>>(await epctl(['--json', 'cluster', 'alarms']))).toEqual([expect.objectContaining({ alarm: 'NOSPACE' })]);
    const config = join(mkdtempSync(join(tmpdir(), 'epctl-nospace-')), 'c.yaml');
    writeFileSync(config, 'greeting: hi\n');
    const publish = await epctl(['config', 'publish', 'prod/app', config, '--yes']);
    expect(publish.code).toBe(9);
    expect(publish.stderr).toContain('ETCD_NOSPACE');
    expect((await epctl(['cluster', 'health'])).code).toBe(6);

    expect((await epctl(['cluster', 'compact', '--yes'])).code).toBe(0);
    expect((await epctl(['cluster', 'defrag', '--yes'])).code).toBe(0);
    expect((await epctl(['cluster', 'alarms', 'disarm'])).stdout).toContain('NOSPACE');
    expect((await epctl(['config', 'publish', 'prod/app', config, '--yes'])).code).toBe(0);
    expect((await epctl(['cluster', 'health'])).code).toBe(0);
    rmSync(join(config, '..'), { recursive: true, force: true });
  });
});
