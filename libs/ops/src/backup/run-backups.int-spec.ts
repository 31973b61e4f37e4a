import { createEtcdClient, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpsError } from '../errors';
import { saveSnapshot } from '../snapshot';
import { readSnapshotFile } from '../snapshot-file';
import type { BackupEvent } from './backup-events';
import { listBackupFiles } from './backup-files';
import { backupFileName, backupRecordKey, slotOf } from './backup-names';
import { encodeBackupRecord } from './backup-record';
import { lastBackup } from './last-backup';
import { runBackups, type BackupRunner } from './run-backups';

jest.setTimeout(120_000);

interface Seen {
  readonly who: string;
  readonly event: BackupEvent;
}

/** Collects the events of several runners in order; `until` waits for one (never for time). */
class EventLog {
  readonly all: Seen[] = [];
  private readonly waiters = new Set<{ test: (s: Seen, all: readonly Seen[]) => boolean; resolve: () => void }>();

  handler(who: string): (event: BackupEvent) => void {
    return (event) => {
      const seen = { who, event };
      this.all.push(seen);
      for (const w of [...this.waiters]) {
        if (w.test(seen, this.all)) {
          this.waiters.delete(w);
          w.resolve();
        }
      }
    };
  }

  until(what: string, test: (s: Seen, all: readonly Seen[]) => boolean, timeoutMs = 60_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out waiting for ${what}; events: ${this.all.map((s) => `${s.who}:${s.event.type}`).join(' ')}`));
      }, timeoutMs);
      const waiter = {
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.add(waiter);
    });
  }

  of<T extends BackupEvent['type']>(type: T): Array<{ who: string; event: Extract<BackupEvent, { type: T }> }> {
    return this.all.filter((s) => s.event.type === type) as Array<{ who: string; event: Extract<BackupEvent, { type: T }> }>;
  }
}

describe('runBackups (real 3-member cluster)', () => {
  let cluster: EtcdCluster;
  let root: string;
  const clients: Etcd3[] = [];
  const runners: BackupRunner[] = [];
  const newClient = async (): Promise<Etcd3> => {
    const c = await createEtcdClient({ endpoints: cluster.endpoints });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 3 });
    root = await mkdtemp(join(tmpdir(), 'ops-backups-'));
    const client = await newClient();
    for (let i = 0; i < 50; i++) await client.put(`/backup-test/data/${i}`).value(`value ${i}`);
  });
  afterAll(async () => {
    await Promise.all(runners.map((r) => r.close()));
    for (const c of clients) c.close();
    await cluster?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('two replicas: one backs up per slot, files verify, retention keeps N, the record names the newest file; the other takes over', async () => {
    const name = 'pair';
    const dir = join(root, name, 'nested'); // created by runBackups
    const keep = 3;
    const log = new EventLog();
    const errors: unknown[] = [];
    const busy = new Map<string, boolean>();
    let maxBusy = 0;
    const track = (who: string) => {
      const record = log.handler(who);
      return (event: BackupEvent): void => {
        if (event.type === 'started') busy.set(who, true);
        if (event.type === 'saved' || event.type === 'failed' || event.type === 'term-ended') busy.set(who, false);
        maxBusy = Math.max(maxBusy, [...busy.values()].filter(Boolean).length);
        record(event);
      };
    };
    const start = async (who: string): Promise<BackupRunner> => {
      const runner = await runBackups({
        client: await newClient(),
        name,
        dir,
        intervalMs: 1500,
        keep,
        instance: who,
        sessionTtlSeconds: 3,
        onEvent: track(who),
        onError: (e) => errors.push(e),
      });
      runners.push(runner);
      return runner;
    };
    const [a, b] = [await start('a'), await start('b')];

    // Five recorded slots, then the prune that follows the fifth (keep = 3, so it deletes one).
    await log.until('five backups and the prune after the fifth', (_s, all) => {
      const savedAt = all.map((x, i) => (x.event.type === 'saved' ? i : -1)).filter((i) => i >= 0);
      return savedAt.length >= 5 && all.slice(savedAt[4]! + 1).some((x) => x.event.type === 'pruned');
    });
    const saved = log.of('saved');
    const leaderName = saved[0]!.who;
    const [leader, follower] = leaderName === 'a' ? [a, b] : [b, a];
    expect(log.of('elected').map((s) => s.who)).toEqual([leaderName]);
    expect(saved.every((s) => s.who === leaderName && !s.event.adopted)).toBe(true);
    expect(maxBusy).toBe(1);
    const slots = saved.map((s) => s.event.slot);
    expect(new Set(slots).size).toBe(slots.length);
    expect([...slots].sort((x, y) => x - y)).toEqual(slots);
    expect(leader.leading).toBe(true);
    expect(follower.leading).toBe(false);

    // Retention: the newest `keep` files, each a complete snapshot that verifies.
    const files = await listBackupFiles(dir, name);
    expect(files.map((f) => f.slot)).toEqual(slots.slice(-keep));
    for (const f of files) {
      expect(f.file).toMatch(/^etcd-pair-\d{8}T\d{6}\.\d{3}Z-slot\d+\.db$/);
      const status = await readSnapshotFile(f.path, { requireDigest: true });
      expect(status.sha256Verified).toBe(true);
      expect(status.totalKeys).toBeGreaterThanOrEqual(50);
    }

    // The record in etcd describes the newest file, as every replica sees it.
    const newest = files.at(-1)!;
    const newestStatus = await readSnapshotFile(newest.path, { requireDigest: true });
    const viaFollower = await follower.status();
    expect(viaFollower).toMatchObject({ name, leader: leaderName, leading: false, stored: { state: 'ok' } });
    expect((await leader.status()).leading).toBe(true);
    if (viaFollower.stored.state !== 'ok') throw new Error('unreachable');
    expect(viaFollower.stored.record).toMatchObject({
      slot: newest.slot,
      file: newest.file,
      bytes: newestStatus.fileBytes,
      sha256: newestStatus.sha256,
      revision: newestStatus.revision,
      totalKeys: newestStatus.totalKeys,
      at: newest.at.toISOString(),
      by: leaderName,
    });
    expect(viaFollower.ageMs).toBeGreaterThanOrEqual(0);
    expect(saved.at(-1)!.event.record).toEqual(viaFollower.stored.record);

    // Hand-over: the leader stops (resigns); the other one continues with the next slots.
    const lastSlotOfLeader = slots.at(-1)!;
    await leader.close();
    await log.until('two backups by the other replica', (_s, all) => all.filter((x) => x.event.type === 'saved' && x.who !== leaderName).length >= 2);
    const after = log.of('saved').filter((s) => s.who !== leaderName);
    expect(after[0]!.event.slot).toBeGreaterThan(lastSlotOfLeader);
    const allSlots = log.of('saved').map((s) => s.event.slot);
    expect(new Set(allSlots).size).toBe(allSlots.length);
    expect(maxBusy).toBe(1);
    expect(follower.leading).toBe(true);
    await follower.close();
    const finalFiles = await listBackupFiles(dir, name);
    expect(new Set(finalFiles.map((f) => f.slot)).size).toBe(finalFiles.length);
    expect(finalFiles.length).toBeLessThanOrEqual(keep);
    expect(log.of('failed')).toEqual([]);
  });

  it('skips a slot already recorded (by anyone), adopts a complete file a killed leader left, distrusts a record from the future', async () => {
    const client = await newClient();
    const intervalMs = 3_600_000; // one slot for the whole test
    const slot = slotOf(Date.now(), intervalMs);

    // 1. A record of the current slot by another replica: nothing is taken.
    const skipName = 'skip';
    const donor = await saveSnapshot(client, join(root, 'donor.db'), { verify: 'full' });
    await client.put(backupRecordKey(skipName)).value(
      encodeBackupRecord({ slot, file: 'elsewhere.db', bytes: donor.bytes, sha256: donor.sha256, revision: donor.status!.revision, totalKeys: donor.status!.totalKeys, at: new Date().toISOString(), by: 'someone-else' }),
    );
    const skipLog = new EventLog();
    const skipped = skipLog.until('skipped', (s) => s.event.type === 'skipped');
    const skipper = await runBackups({ client, name: skipName, dir: join(root, skipName), intervalMs, keep: 1, instance: 's', onEvent: skipLog.handler('s') });
    runners.push(skipper);
    await skipped;
    expect(skipLog.of('skipped')[0]!.event).toMatchObject({ slot, doneBy: 'someone-else', nextAttemptAt: (slot + 1) * intervalMs });
    await skipper.close();
    expect(skipLog.of('started')).toEqual([]);
    expect(await listBackupFiles(join(root, skipName), skipName)).toEqual([]);

    // 2. A complete file of the current slot, not recorded (its leader died before the record):
    //    adopted, not taken a second time.
    const adoptName = 'adopt';
    const adoptDir = join(root, adoptName);
    const file = backupFileName(adoptName, new Date(), slot);
    const placed = await saveSnapshot(client, join(root, 'tmp-place.db'), { verify: 'full' });
    await mkdir(adoptDir, { recursive: true });
    await rename(placed.path, join(adoptDir, file));
    const adoptLog = new EventLog();
    const adopted = adoptLog.until('saved', (s) => s.event.type === 'saved');
    const adopter = await runBackups({ client, name: adoptName, dir: adoptDir, intervalMs, keep: 2, instance: 'n', onEvent: adoptLog.handler('n') });
    runners.push(adopter);
    await adopted;
    await adopter.close();
    expect(adoptLog.of('started')).toEqual([]);
    expect(adoptLog.of('saved')[0]!.event).toMatchObject({ slot, adopted: true, record: { file, sha256: placed.sha256, bytes: placed.bytes, by: 'n' } });
    expect((await listBackupFiles(adoptDir, adoptName)).map((f) => f.file)).toEqual([file]);

    // 3. A record from far in the future (a wrong clock) is not trusted: this slot is backed up.
    const futureName = 'future';
    const future = new Date(Date.now() + 10 * intervalMs);
    await client.put(backupRecordKey(futureName)).value(
      encodeBackupRecord({ slot: slotOf(future.getTime(), intervalMs), file: 'x.db', bytes: donor.bytes, sha256: donor.sha256, revision: 1, totalKeys: 1, at: future.toISOString(), by: 'wrong-clock' }),
    );
    const futureLog = new EventLog();
    const taken = futureLog.until('saved', (s) => s.event.type === 'saved');
    const fixer = await runBackups({ client, name: futureName, dir: join(root, futureName), intervalMs, keep: 1, instance: 'c', onEvent: futureLog.handler('c') });
    runners.push(fixer);
    await taken;
    await fixer.close();
    expect(futureLog.of('saved')[0]!.event).toMatchObject({ slot, adopted: false, record: { by: 'c', slot } });
  });

  it('reports a malformed record as malformed (never a crash), and the next good backup replaces it', async () => {
    const client = await newClient();
    const name = 'malformed';
    await client.put(backupRecordKey(name)).value('not json {');
    expect((await lastBackup(client, name)).stored).toMatchObject({ state: 'malformed', problem: expect.stringMatching(/^not JSON/) });
    await client.put(backupRecordKey(name)).value(JSON.stringify({ slot: -1, file: 'a/b', bytes: 1 }));
    const status = await lastBackup(client, name);
    expect(status).toMatchObject({ name, ageMs: undefined, leader: undefined, stored: { state: 'malformed' } });
    if (status.stored.state !== 'malformed') throw new Error('unreachable');
    for (const field of ['slot', 'file', 'sha256', 'revision', 'totalKeys', 'at', 'by']) expect(status.stored.problem).toContain(field);

    const log = new EventLog();
    const saved = log.until('saved', (s) => s.event.type === 'saved');
    const runner = await runBackups({ client, name, dir: join(root, name), intervalMs: 3_600_000, keep: 1, instance: 'm', onEvent: log.handler('m') });
    runners.push(runner);
    await saved;
    expect(log.all.map((s) => s.event.type).slice(0, 4)).toEqual(['elected', 'malformed-record', 'started', 'saved']);
    expect((await runner.status()).stored).toMatchObject({ state: 'ok', record: { by: 'm' } });
    await runner.close();
  });

  it('reports a failed backup, retries it, and leaves the last good record untouched', async () => {
    const client = await newClient();
    const name = 'failing';
    const dir = join(root, name);
    const log = new EventLog();
    const errors: unknown[] = [];
    const firstSaved = log.until('a first backup', (s) => s.event.type === 'saved');
    const runner = await runBackups({ client, name, dir, intervalMs: 1500, keep: 5, instance: 'f', retryDelayMs: 100, onEvent: log.handler('f'), onError: (e) => errors.push(e) });
    runners.push(runner);
    await firstSaved;
    const good = log.of('saved')[0]!.event.record;

    // The backup volume goes away: every attempt of the next slot fails, and is retried.
    await rm(dir, { recursive: true, force: true });
    await log.until('two failed attempts of one slot', (_s, all) => {
      const failed = all.filter((x) => x.event.type === 'failed').map((x) => (x.event as Extract<BackupEvent, { type: 'failed' }>).slot);
      return failed.some((slot, i) => failed.indexOf(slot) !== i);
    });
    const failed = log.of('failed');
    expect(failed[0]!.event.slot).toBeGreaterThan(good.slot);
    expect(failed[0]!.event.retryInMs).toBeGreaterThan(0);
    expect(errors).toEqual(expect.arrayContaining([failed[0]!.event.error]));
    expect((failed[0]!.event.error as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect((await lastBackup(client, name)).stored).toMatchObject({ state: 'ok', record: good });

    // It comes back: the next attempt succeeds.
    const recovered = log.until('a backup after the failures', (s, all) => s.event.type === 'saved' && all.indexOf(s) > all.indexOf(failed[0]!));
    await mkdir(dir, { recursive: true });
    await recovered;
    const after = log.of('saved').at(-1)!.event;
    expect(after.slot).toBeGreaterThanOrEqual(failed.at(-1)!.event.slot);
    expect((await lastBackup(client, name)).stored).toMatchObject({ state: 'ok', record: after.record });
    await runner.close();
  });

  it('rejects invalid options with OPS_INVALID_ARGUMENT before any call', async () => {
    const client = await newClient();
    const aFile = join(root, 'a-file');
    await writeFile(aFile, 'x');
    const base = { client, name: 'bad', dir: join(root, 'bad'), intervalMs: 1000, keep: 1 };
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['interval under 1000 ms', { intervalMs: 999 }, /intervalMs: must be at least 1000/],
      ['keep 0', { keep: 0 }, /keep: must be at least 1/],
      ['fractional keep', { keep: 1.5 }, /keep/],
      ['relative dir', { dir: 'relative/dir' }, /dir: must be an absolute path/],
      ['dir that is a file', { dir: aFile }, /cannot be used/],
      ['dir under a file', { dir: join(aFile, 'sub') }, /cannot be used/],
      ['name with a slash', { name: 'a/b' }, /name: must be/],
      ['empty name', { name: '' }, /name: must be/],
      ['no client', { client: undefined }, /client: must be an etcd3 client/],
    ];
    for (const [what, patch, message] of cases) {
      const error = await runBackups({ ...base, ...patch } as never).then(
        () => new Error(`${what}: accepted`),
        (e: unknown) => e,
      );
      expect({ what, error }).toEqual({ what, error: expect.any(OpsError) });
      expect({ what, code: (error as OpsError).code }).toEqual({ what, code: 'OPS_INVALID_ARGUMENT' });
      expect((error as OpsError).message).toMatch(message);
    }
    await expect(lastBackup(client, 'a/b')).rejects.toMatchObject({ code: 'OPS_INVALID_ARGUMENT' });
  });
});
