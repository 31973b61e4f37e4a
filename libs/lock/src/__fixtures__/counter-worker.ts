// A Jepsen-style counter client for fenced-counter.int-spec.ts, run as its own process so the
// test can freeze it with SIGSTOP. Usage:
//   node --import tsx counter-worker.ts <endpoints,comma,separated> <lockName> <counterKey> fenced|unfenced
// Loop: lock, read the counter, print "R", hold for HOLD_MS, write counter + 1, print the
// outcome, unlock. Outcomes: "A" acknowledged, "F" refused by the fence, "U" unknown (the write
// failed in a way that may or may not have applied it), "E <code>" no write attempted.
// Closing stdin stops the loop; the worker then prints "DONE" and exits.
import { createEtcdClient, Session, toEtcdError, type Etcd3 } from '@etcd-patterns/etcd';
import { Mutex } from '../mutex';

const HOLD_MS = 150;
const [endpointList, lockName, counterKey, mode] = process.argv.slice(2) as [string, string, string, 'fenced' | 'unfenced'];
const say = (line: string): void => void process.stdout.write(`${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const stop = new AbortController();
  process.stdin.on('end', () => stop.abort());
  process.stdin.resume();
  const client: Etcd3 = await createEtcdClient({ endpoints: endpointList.split(','), callTimeoutMs: 2000 });
  let session: Session | undefined;
  say('READY');
  while (!stop.signal.aborted) {
    try {
      if (!session || session.lost.aborted) session = await Session.create(client, { ttlSeconds: 2, signal: stop.signal });
      const held = await new Mutex(session, lockName).lock({ signal: stop.signal });
      try {
        const read = await client.get(counterKey).string();
        const value = Number(read ?? '0');
        say('R');
        await sleep(HOLD_MS); // the critical section: a SIGSTOP here outlives the lease
        const next = String(value + 1);
        try {
          if (mode === 'fenced') {
            const res = await client.kv.txn({
              compare: [held.compare()],
              success: [{ request_put: { key: Buffer.from(counterKey), value: Buffer.from(next) } }],
            });
            say(res.succeeded ? 'A' : 'F');
          } else {
            await client.put(counterKey).value(next).exec();
            say('A');
          }
        } catch {
          say('U');
        }
      } finally {
        await held.unlock().catch(() => undefined);
      }
    } catch (error) {
      if (stop.signal.aborted) break;
      say(`E ${toEtcdError(error).code}`);
      await sleep(50);
    }
  }
  await session?.close().catch(() => undefined);
  client.close();
  say('DONE');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
