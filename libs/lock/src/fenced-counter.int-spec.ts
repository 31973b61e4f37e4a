import { createEtcdClient, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

// Jepsen's etcd 3.4.3 analysis: a lock alone does not give mutual exclusion, because a holder
// paused past its lease keeps acting after another client acquired. This test reproduces that
// with real processes frozen by SIGSTOP (and an etcd leader killed meanwhile), then shows that
// the fencing compare of the handle prevents the damage.

jest.setTimeout(180_000);

const WORKERS = 3;

interface Tally {
  acked: number;
  fenced: number;
  unknown: number;
  errors: string[];
}

/** One worker process and its stdout protocol (see __fixtures__/counter-worker.ts). */
class Worker {
  readonly tally: Tally = { acked: 0, fenced: 0, unknown: 0, errors: [] };
  private listeners: Array<(line: string) => void> = [];
  readonly exited: Promise<void>;
  stopped = false;

  constructor(readonly child: ChildProcess) {
    let partial = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      partial += chunk.toString();
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const line of lines) this.onLine(line);
    });
    child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Resolves with the next line matching `predicate`. */
  next(predicate: (line: string) => boolean): Promise<string> {
    return new Promise((resolve) => {
      const listener = (line: string): void => {
        if (!predicate(line)) return;
        this.listeners = this.listeners.filter((l) => l !== listener);
        resolve(line);
      };
      this.listeners.push(listener);
    });
  }

  /** Registers a listener called synchronously for every line. */
  onEachLine(listener: (line: string) => void): void {
    this.listeners.push(listener);
  }

  private onLine(line: string): void {
    if (line === 'A') this.tally.acked++;
    else if (line === 'F') this.tally.fenced++;
    else if (line === 'U') this.tally.unknown++;
    else if (line.startsWith('E ')) this.tally.errors.push(line.slice(2));
    for (const l of [...this.listeners]) l(line);
  }
}

describe('fenced counter under pauses and a leader kill (3-member cluster, worker processes)', () => {
  let cluster: EtcdCluster;
  let etcd: Etcd3;
  const workers: Worker[] = [];

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 3 });
    etcd = await createEtcdClient({ endpoints: cluster.endpoints });
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) {
      if (w.child.exitCode === null && w.child.signalCode === null) {
        w.child.kill('SIGCONT');
        w.child.kill('SIGKILL');
        await w.exited;
      }
    }
  });
  afterAll(async () => {
    etcd?.close();
    await cluster?.close();
  });

  const counterValue = async (key: string): Promise<number> => Number((await etcd.get(key).string()) ?? '0');
  const waitUntil = async (condition: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const totals = (): Tally =>
    workers.reduce<Tally>(
      (t, w) => ({
        acked: t.acked + w.tally.acked,
        fenced: t.fenced + w.tally.fenced,
        unknown: t.unknown + w.tally.unknown,
        errors: [...t.errors, ...w.tally.errors],
      }),
      { acked: 0, fenced: 0, unknown: 0, errors: [] },
    );

  /**
   * Runs the workers, freezes a holder inside its critical section twice (the first time also
   * killing the etcd leader), resumes it only after others incremented the counter, and returns
   * the final counter with the outcomes the workers reported.
   */
  async function run(mode: 'fenced' | 'unfenced'): Promise<{ final: number; tally: Tally; pausedOutcomes: string[] }> {
    const lockName = `/jepsen/${mode}/lock`;
    const counterKey = `/jepsen/${mode}/counter`;
    await etcd.put(counterKey).value('0').exec();
    const script = join(__dirname, '__fixtures__', 'counter-worker.ts');
    for (let i = 0; i < WORKERS; i++) {
      const child = spawn(process.execPath, ['--import', 'tsx', script, cluster.endpoints.join(','), lockName, counterKey, mode], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      workers.push(new Worker(child));
    }
    await Promise.all(workers.map((w) => w.next((l) => l === 'READY')));
    await waitUntil(async () => totals().acked >= 6, 'a first few increments');

    const pausedOutcomes: string[] = [];
    for (const killLeader of [true, false]) {
      // Freeze whichever worker next enters its critical section, right after it read the counter.
      const frozen = await new Promise<Worker>((resolve) => {
        let done = false;
        for (const w of workers) {
          w.onEachLine((line) => {
            if (done || line !== 'R') return;
            done = true;
            w.child.kill('SIGSTOP');
            resolve(w);
          });
        }
      });
      const atPause = await counterValue(counterKey);
      if (killLeader) {
        const leader = await cluster.waitForLeader();
        await leader.kill();
        await cluster.waitForLeader();
        await leader.start();
      }
      // Its lease expires; the others take the lock and move the counter on.
      await waitUntil(async () => (await counterValue(counterKey)) >= atPause + 2, 'other workers to increment');
      const outcome = frozen.next((l) => l === 'A' || l === 'F' || l === 'U');
      frozen.child.kill('SIGCONT');
      pausedOutcomes.push(await outcome);
    }
    const afterPauses = totals().acked;
    await waitUntil(async () => totals().acked >= afterPauses + 4, 'more increments after the pauses');
    for (const w of workers) w.child.stdin!.end();
    await Promise.all(workers.map((w) => w.exited));
    return { final: await counterValue(counterKey), tally: totals(), pausedOutcomes };
  }

  it('without fencing, a paused holder overwrites newer increments: the test can see lost updates', async () => {
    const { final, tally, pausedOutcomes } = await run('unfenced');
    expect(pausedOutcomes).toContain('A'); // the stale holder's write went through...
    expect(final).toBeLessThan(tally.acked); // ...and acknowledged increments were lost
  });

  it('with the fencing compare, no acknowledged increment is lost and stale writes are refused', async () => {
    const { final, tally, pausedOutcomes } = await run('fenced');
    // The frozen holders' writes were never acknowledged: refused by the fence, or (right after
    // the leader kill) failed on a dead connection. The second pause always reaches the fence.
    expect(['F', 'U']).toContain(pausedOutcomes[0]);
    expect(pausedOutcomes[1]).toBe('F');
    expect(final).toBeGreaterThanOrEqual(tally.acked);
    expect(final).toBeLessThanOrEqual(tally.acked + tally.unknown);
    expect(tally.fenced).toBeGreaterThanOrEqual(1);
  });
});
