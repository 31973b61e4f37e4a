// End-to-end: two backup app processes (node --import tsx, as `nx serve backup` runs them)
// against a real 3-member etcd cluster, sharing one backup directory. The leader is killed
// with SIGKILL (no shutdown hook runs, its lease is left to expire): the other replica must take
// over, the schedule must go on, and no slot may end up with two files.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess } from '@etcd-patterns/demo';
import { createEtcdClient, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import { lastBackup, listBackupFiles, readSnapshotFile } from '@etcd-patterns/ops';
import { waitFor } from './wait-for';

jest.setTimeout(120_000);

const NAME = 'e2e';
const INTERVAL_MS = 1500;

interface Health {
  readonly httpStatus: number;
  readonly body: {
    status: string;
    leader: boolean;
    leaderInstance: string | null;
    instance: string;
    lastBackup: { ageMs: number; bytes: number; file: string; revision: number; slot: number; by: string } | null;
  };
}

async function health(url: string): Promise<Health> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { httpStatus: res.status, body: (await res.json()) as Health['body'] };
}

describe('backup app: kill -9 of the leader (real processes, 3-member etcd)', () => {
  let cluster: EtcdCluster;
  let client: Etcd3;
  let dir: string;
  const procs: AppProcess[] = [];

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 3 });
    client = await createEtcdClient({ endpoints: cluster.endpoints });
    for (let i = 0; i < 20; i++) await client.put(`/e2e-backup/data/${i}`).value(`v${i}`);
    dir = await mkdtemp(join(tmpdir(), 'e2e-backups-'));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    client?.close();
    await cluster?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the survivor takes over, the schedule goes on, and no slot gets two files', async () => {
    const start = async (instance: string): Promise<{ proc: AppProcess; url: string }> => {
      const proc = await AppProcess.start({
        app: 'backup',
        env: {
          ETCD_ENDPOINTS: cluster.endpoints.join(','),
          ETCD_SESSION_TTL_SECONDS: '2',
          INSTANCE_NAME: instance,
          BACKUP_NAME: NAME,
          BACKUP_DIR: dir,
          BACKUP_INTERVAL_MS: String(INTERVAL_MS),
          BACKUP_KEEP: '50', // keep them all: every slot's file stays to be counted
          BACKUP_HEALTH_GRACE_MS: '10000',
          HTTP_HOST: '127.0.0.1',
          HTTP_PORT: '0',
          OTEL_SDK_DISABLED: 'true',
        },
      });
      procs.push(proc);
      const ready = await proc.waitForLog((e) => e['msg'] === 'backup ready');
      return { proc, url: String(ready['health']) };
    };
    const replicas = await Promise.all([start('b1'), start('b2')]);

    const first = await waitFor('a first backup', async () => {
      const h = await health(replicas[0]!.url);
      return h.body.lastBackup && h.body.leaderInstance ? h : undefined;
    });
    expect(first.httpStatus).toBe(200);
    const leader = replicas.find((r) => r.proc.instance === first.body.leaderInstance)!;
    const survivor = replicas.find((r) => r !== leader)!;
    expect((await health(leader.url)).body.leader).toBe(true);
    expect((await health(survivor.url)).body.leader).toBe(false);

    await leader.proc.kill(); // SIGKILL: no resignation, the lease expires after its TTL
    const atKill = await lastBackup(client, NAME);
    if (atKill.stored.state !== 'ok') throw new Error(`no record after the first backup: ${atKill.stored.state}`);
    const slotAtKill = atKill.stored.record.slot;

    const takenOver = await waitFor(
      'the survivor to lead and record a later slot',
      async () => {
        const h = await health(survivor.url);
        const last = h.body.lastBackup;
        return h.body.leader && last && last.by === survivor.proc.instance && last.slot > slotAtKill ? h : undefined;
      },
      60_000,
    );
    const resumedAt = takenOver.body.lastBackup!.slot;
    const later = await waitFor(
      'the schedule to go on (two more slots)',
      async () => {
        const h = await health(survivor.url);
        return h.body.lastBackup && h.body.lastBackup.slot >= resumedAt + 2 ? h : undefined;
      },
      60_000,
    );

    // /health of the survivor: it leads, with the last backup's age and size.
    expect(later.httpStatus).toBe(200);
    expect(later.body).toMatchObject({ status: 'ok', leader: true, leaderInstance: survivor.proc.instance, instance: survivor.proc.instance });
    const last = later.body.lastBackup!;
    expect(last.ageMs).toBeGreaterThanOrEqual(0);
    expect(last.bytes).toBe((await stat(join(dir, last.file))).size);
    expect(last.revision).toBeGreaterThan(0);

    // No slot has two files, and each file is a complete, verified snapshot.
    const files = await listBackupFiles(dir, NAME);
    const slots = files.map((f) => f.slot);
    expect(new Set(slots).size).toBe(slots.length);
    expect(slots).toEqual(expect.arrayContaining([slotAtKill, resumedAt, last.slot]));
    for (const f of files) expect((await readSnapshotFile(f.path, { requireDigest: true })).sha256Verified).toBe(true);

    // Nor was any slot backed up twice along the way (pruning could hide a duplicate file).
    const savedSlots = replicas.flatMap((r) => r.proc.logs.filter((e) => e['msg'] === 'backup saved').map((e) => Number(e['slot'])));
    expect(new Set(savedSlots).size).toBe(savedSlots.length);
    expect(survivor.proc.logs.some((e) => e['msg'] === 'elected: taking backups')).toBe(true);
  });
});
