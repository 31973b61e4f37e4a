// Config center: publish-to-applied latency across 50 hot-config subscribers (watchConfig),
// against raw etcd watch delivery (a put, and 50 watchPrefix watchers receiving it), measured
// in the same run, interleaved sample by sample, with the same clients.
//
// Two clocks for ours: from the moment publish's write transaction is sent (the delivery path:
// etcd commit, watch stream, reassembly, checksum, zod validation, listeners), comparable to a
// raw put; and from the start of the publish() call, which also includes publish's read of the
// current state (a second round trip that a safe optimistic publish cannot skip).
import { publish, watchConfig, type HotConfig } from '@etcd-patterns/config';
import type { Etcd3 } from 'etcd3';
import { z } from 'zod';
import { latencySummary, nowMs, type Benchmark } from './bench-kit';
import { RawFanout } from './raw-fanout';

const SUBSCRIBERS = 50;
const CLIENTS = 10;

const schema = z.object({
  server: z.object({ port: z.number().int(), host: z.string(), timeoutMs: z.number() }),
  db: z.object({ url: z.string(), pool: z.object({ min: z.number(), max: z.number() }) }),
  features: z.record(z.string(), z.boolean()),
  limits: z.object({ rps: z.number(), burst: z.number() }),
  greeting: z.string(),
});

function document(i: number): z.input<typeof schema> {
  return {
    server: { port: 8000 + i, host: '0.0.0.0', timeoutMs: 5000 },
    db: { url: 'postgres://db.internal:5432/app', pool: { min: 2, max: 20 } },
    features: Object.fromEntries(Array.from({ length: 10 }, (_, f) => [`flag${f}`, f % 2 === 0])),
    limits: { rps: 1000, burst: 200 },
    greeting: 'hello',
  };
}

const bench: Benchmark = {
  name: 'config',
  async run(ctx) {
    const samples = Math.max(10, Math.round(200 * ctx.scale));
    const writer = await ctx.client();
    // Notes when publish sends its write transaction (the read-only one is not a write).
    let writeSentAt = 0;
    const kv = writer.kv as unknown as { txn: (req: { success?: Array<{ request_put?: unknown }> }) => Promise<unknown> };
    const txn = kv.txn.bind(kv);
    kv.txn = (req) => {
      if ((req.success ?? []).some((op) => op.request_put)) writeSentAt = nowMs();
      return txn(req);
    };
    const clients: Etcd3[] = [];
    for (let i = 0; i < CLIENTS; i++) clients.push(await ctx.client());
    const namespace = 'bench/greeter';
    const rawPrefix = '/bench/config-raw/';
    await publish({ client: writer, namespace, document: document(0), author: 'bench' });

    // Ours: 50 hot configs.
    const appliedAt = new Map<number, number[]>();
    const waiters = new Map<number, () => void>();
    const hots: Array<HotConfig<z.output<typeof schema>>> = [];
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const hot = watchConfig({ client: clients[i % CLIENTS]!, namespace, schema });
      hot.subscribe((change) => {
        const list = appliedAt.get(change.version) ?? [];
        list.push(nowMs());
        appliedAt.set(change.version, list);
        if (list.length === SUBSCRIBERS) waiters.get(change.version)?.();
      });
      hots.push(hot);
    }
    await Promise.all(hots.map((h) => h.ready));

    // Reference: 50 raw watchPrefix watchers.
    const fanout = await RawFanout.start(clients, rawPrefix, SUBSCRIBERS);
    const ours: number[] = [];
    const oursAll: number[] = [];
    const endToEnd: number[] = [];
    const raw: number[] = [];
    const rawAll: number[] = [];
    const publishCall: number[] = [];
    const putCall: number[] = [];
    for (let i = 1; i <= samples; i++) {
      // Raw put -> 50 watchers.
      const sample = await fanout.put(writer, `${rawPrefix}k${i}`, JSON.stringify(8000 + i));
      putCall.push(sample.putMs);
      raw.push(...sample.delays);
      rawAll.push(Math.max(...sample.delays));

      // Publish -> 50 hot configs applied.
      const version = i + 1;
      const oursDone = new Promise<void>((resolve) => waiters.set(version, resolve));
      const start = nowMs();
      await publish({ client: writer, namespace, document: document(i), author: 'bench', baseVersion: version - 1 });
      publishCall.push(nowMs() - start);
      await oursDone;
      for (const t of appliedAt.get(version)!) {
        ours.push(t - writeSentAt);
        endToEnd.push(t - start);
      }
      oursAll.push(Math.max(...appliedAt.get(version)!) - writeSentAt);
      appliedAt.delete(version);
      waiters.delete(version);
    }

    await fanout.close();
    await Promise.all(hots.map((h) => h.close()));

    return [
      {
        bench: 'config',
        metric: `publish write->applied, each of ${SUBSCRIBERS} watchConfig subscribers`,
        unit: 'ms',
        ours: latencySummary(ours),
        reference: latencySummary(raw),
        referenceName: `raw put->event, each of ${SUBSCRIBERS} watchPrefix watchers`,
        target: 'p99 ratio <= 2',
      },
      {
        bench: 'config',
        metric: `publish write->applied by all ${SUBSCRIBERS}`,
        unit: 'ms',
        ours: latencySummary(oursAll),
        reference: latencySummary(rawAll),
        referenceName: `raw put->event in all ${SUBSCRIBERS}`,
        target: 'p99 ratio <= 2',
      },
      {
        bench: 'config',
        metric: `publish() call start->applied, each of ${SUBSCRIBERS} (end to end, incl. publish's read)`,
        unit: 'ms',
        ours: latencySummary(endToEnd),
        reference: latencySummary(raw),
        referenceName: `raw put->event, each of ${SUBSCRIBERS} watchPrefix watchers`,
        target: 'about 2x (publish = read + write round trip)',
      },
      {
        bench: 'config',
        metric: 'publish() call (read txn + write txn)',
        unit: 'ms',
        ours: latencySummary(publishCall),
        reference: latencySummary(putCall),
        referenceName: 'raw etcd put',
        target: 'about 2x (two round trips)',
      },
    ];
  },
};

export default bench;
