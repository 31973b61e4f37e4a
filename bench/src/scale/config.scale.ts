// Config center at 1 KB, 100 KB and 1 MB documents:
// - publish -> applied p99 at 50 hot-config subscribers, against a raw put of a value of the
//   same size delivered to 50 watchPrefix watchers (same clients, interleaved sample by sample);
// - listing 1,000 versions of history (listVersions) against raw range reads of the same records;
// - the size limit: documents around etcd's default --max-request-bytes (1.5 MiB), counting the
//   requests publish sends and checking that a refused publish leaves no revision or version.
//
// Documents are 32 settings of equal size plus a small `rev` counter; each publish changes `rev`
// only, so it sends one setting, `_meta` and the full document as its history record. A first
// publish sends the document twice (settings + history), so the 1 MB document is built up in
// four publishes of a quarter each (its one-shot first publish is refused: CONFIG_TOO_LARGE).
import { ConfigNamespace, listVersions, publish, watchConfig, type HotConfig } from '@etcd-patterns/config';
import { prefixRangeEnd } from '@etcd-patterns/etcd';
import type { Etcd3 } from 'etcd3';
import { z } from 'zod';
import { latencySummary, nowMs, percentile } from '../bench-kit';
import { RawFanout } from '../raw-fanout';
import type { ScaleContext, ScaleCurve, ScalePoint, ScaleSuite } from './curve';

const SUBSCRIBERS = 50;
const CLIENTS = 10;
const SETTINGS = 32;
const KB = 1024;
const SIZES = [1 * KB, 100 * KB, 1024 * KB];
const VERSIONS = 1000;
/** etcd's default --max-request-bytes, less the 1 KiB publish keeps for etcd's request header. */
const LIMIT = 1.5 * 1024 * 1024 - 1024;

const schema = z.object({ rev: z.number().int() }).catchall(z.string());

/** A document of about `bytes` (JSON), settings `s00..s31` of equal size, and `rev`. */
function documentOf(bytes: number, rev: number, settings = SETTINGS): Record<string, string | number> {
  const each = Math.max(1, Math.floor(bytes / SETTINGS) - 8);
  const doc: Record<string, string | number> = { rev };
  for (let i = 0; i < settings; i++) doc[`s${String(i).padStart(2, '0')}`] = String.fromCharCode(97 + (i % 26)).repeat(each);
  return doc;
}

function sizeLabel(bytes: number): string {
  return bytes >= 1024 * KB ? `${bytes / (1024 * KB)} MiB` : `${bytes / KB} KiB`;
}

/** Publishes a document from nothing, in quarters when its first publish would be too large. */
async function seed(writer: Etcd3, namespace: string, bytes: number): Promise<number> {
  const steps = bytes * 2 > LIMIT * 0.9 ? 4 : 1;
  let version = 0;
  for (let s = 1; s <= steps; s++) {
    const doc = documentOf(bytes, 0, Math.ceil((SETTINGS * s) / steps));
    version = (await publish({ client: writer, namespace, document: doc, author: 'bench' })).version;
  }
  return version;
}

async function publishToApplied(ctx: ScaleContext, bytes: number): Promise<ScalePoint> {
  const samples = ctx.quick ? 15 : bytes >= 1024 * KB ? 25 : bytes >= 100 * KB ? 50 : 100;
  const writer = await ctx.client();
  const clients: Etcd3[] = [];
  for (let i = 0; i < CLIENTS; i++) clients.push(await ctx.client());
  const namespace = `scale/pub${bytes}`;
  const rawPrefix = `/bench/scale/config-raw-${bytes}/`;
  let version = await seed(writer, namespace, bytes);

  let writeSentAt = 0;
  const kv = writer.kv as unknown as { txn: (req: { success?: Array<{ request_put?: unknown }> }) => Promise<unknown> };
  const txn = kv.txn.bind(kv);
  kv.txn = (req) => {
    if ((req.success ?? []).some((op) => op.request_put)) writeSentAt = nowMs();
    return txn(req);
  };

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

  const fanout = await RawFanout.start(clients, rawPrefix, SUBSCRIBERS);

  const ours: number[] = [];
  const raw: number[] = [];
  const blob = JSON.stringify(documentOf(bytes, 0));
  for (let i = 1; i <= samples; i++) {
    raw.push(...(await fanout.put(writer, `${rawPrefix}k${i % 4}`, blob)).delays);

    version++;
    const oursDone = new Promise<void>((resolve) => waiters.set(version, resolve));
    await publish({ client: writer, namespace, document: { ...documentOf(bytes, i) }, author: 'bench', baseVersion: version - 1 });
    await oursDone;
    for (const t of appliedAt.get(version)!) ours.push(t - writeSentAt);
    appliedAt.delete(version);
    waiters.delete(version);
  }
  await fanout.close();
  await Promise.all(hots.map((h) => h.close()));
  const o = latencySummary(ours);
  const r = latencySummary(raw);
  ctx.log(`publish->applied ${sizeLabel(bytes)}: ours p99 ${o.p99.toFixed(1)} ms, raw p99 ${r.p99.toFixed(1)} ms (${samples} samples x ${SUBSCRIBERS})`);
  return {
    size: bytes,
    ours: { p50Ms: o.p50, p99Ms: o.p99 },
    reference: { p50Ms: r.p50, p99Ms: r.p99 },
  };
}

async function historyListing(ctx: ScaleContext, bytes: number): Promise<ScalePoint> {
  // 1,000 versions of a 1 MiB document would be 1 GiB in each member: 100 there (per version alike).
  const versions = ctx.quick ? 100 : bytes >= 1024 * KB ? 100 : VERSIONS;
  const writer = await ctx.client();
  const reader = await ctx.client();
  const namespace = `scale/hist${bytes}`;
  const ns = ConfigNamespace.parse(namespace);
  // The first few through publish (the real records), the rest as the same records written
  // directly (a publish per version of a 1 MB document would take minutes here).
  await seed(writer, namespace, bytes);
  const last = await listVersions({ client: writer, namespace, limit: 1 });
  const template = JSON.parse((await writer.get(ns.historyKey(last[0]!.version)).string())!) as Record<string, unknown>;
  // Within --max-request-bytes and --max-txn-ops (128).
  const perTxn = Math.max(1, Math.min(100, Math.floor((LIMIT * 0.8) / Math.max(1, JSON.stringify(template).length))));
  const puts: Array<Promise<unknown>> = [];
  for (let v = last[0]!.version + 1; v <= versions; v += perTxn) {
    const ops = [];
    for (let w = v; w < Math.min(versions + 1, v + perTxn); w++) {
      ops.push({ request_put: { key: Buffer.from(ns.historyKey(w)), value: Buffer.from(JSON.stringify({ ...template, version: w, baseVersion: w - 1 })) } });
    }
    puts.push(writer.kv.txn({ success: ops }));
    if (puts.length >= 8) await Promise.all(puts.splice(0));
  }
  await Promise.all(puts);

  const rounds = ctx.quick ? 3 : bytes >= 1024 * KB ? 3 : 5;
  const oursMs: number[] = [];
  const rawMs: number[] = [];
  const prefix = Buffer.from(ns.historyPrefix);
  const recordBytes = JSON.stringify(template).length;
  // The reference: the same records read raw, in pages of at most 3 MiB (gRPC's 4 MiB limit),
  // ascending (etcd reads the whole rest of the range for each descending page).
  const page = Math.max(1, Math.floor((3 * 1024 * 1024) / recordBytes));
  let listed = 0;
  for (let r = 0; r < rounds; r++) {
    let start = nowMs();
    try {
      listed = (await listVersions({ client: reader, namespace })).length;
      oursMs.push(nowMs() - start);
    } catch (error) {
      ctx.log(`listVersions of ${versions} x ${sizeLabel(bytes)} FAILED: ${(error as { code?: string }).code} ${(error as Error).message.slice(0, 200)}`);
      oursMs.push(Number.NaN);
    }
    start = nowMs();
    const end = prefixRangeEnd(prefix);
    let from = prefix;
    let n = 0;
    for (;;) {
      const res = await reader.kv.range({ key: from, range_end: end, limit: page });
      n += res.kvs.length;
      if (!res.more || res.kvs.length === 0) break;
      from = Buffer.concat([res.kvs[res.kvs.length - 1]!.key, Buffer.from([0])]);
    }
    rawMs.push(nowMs() - start);
    if (n !== versions) throw new Error(`raw read found ${n} history records, expected ${versions}`);
  }
  if (listed !== 0 && listed !== versions) throw new Error(`listVersions listed ${listed}, expected ${versions}`);
  const o = percentile(oursMs, 50);
  const raw = percentile(rawMs, 50);
  ctx.log(`history ${versions} x ${sizeLabel(bytes)}: listVersions ${o.toFixed(1)} ms, raw ${raw.toFixed(1)} ms`);
  await writer.delete().prefix(ns.historyPrefix).exec(); // keep the next sizes' cluster small
  return {
    size: bytes,
    label: `${versions} versions`,
    ours: { listMs: o, usPerVersion: (o * 1000) / versions },
    reference: { listMs: raw, usPerVersion: (raw * 1000) / versions },
  };
}

/** Behaviour around the limit: document sizes relative to the (default) request limit. */
async function sizeLimit(ctx: ScaleContext): Promise<ScaleCurve> {
  const client = await ctx.client();
  const counts = { txns: 0, writes: 0 };
  const kv = client.kv as unknown as { txn: (req: { success?: Array<{ request_put?: unknown }> }) => Promise<unknown> };
  const txn = kv.txn.bind(kv);
  kv.txn = (req) => {
    counts.txns++;
    if ((req.success ?? []).some((op) => op.request_put)) counts.writes++;
    return txn(req);
  };
  const revision = async (): Promise<number> => Number((await client.kv.range({ key: Buffer.from('/') , limit: 1 })).header.revision);
  const points: ScalePoint[] = [];
  const outcomes: string[] = [];
  for (const fraction of [0.25, 0.45, 0.55, 0.95, 1.05]) {
    const bytes = Math.round(LIMIT * fraction);
    const namespace = `scale/limit${Math.round(fraction * 100)}`;
    const ns = ConfigNamespace.parse(namespace);
    const before = await revision();
    counts.txns = 0;
    counts.writes = 0;
    let published = 0;
    let code = 'ok';
    try {
      await publish({ client, namespace, document: { blob: 'x'.repeat(bytes - 12) }, author: 'bench' });
      published = 1;
    } catch (error) {
      code = (error as { code?: string }).code ?? String(error);
    }
    const sent = { ...counts };
    const revisionDelta = (await revision()) - before;
    const versions = (await listVersions({ client, namespace })).length;
    const liveKeys = (await client.getAll().prefix(ns.livePrefix).keys()).length;
    // Reference: the same document as one raw put (sent once, not twice).
    let rawPut = 0;
    try {
      await client.put(`/bench/scale/limit-raw/${fraction}`).value('x'.repeat(bytes)).exec();
      rawPut = 1;
    } catch {
      rawPut = 0;
    }
    outcomes.push(`${Math.round(fraction * 100)}%: ${code} (${sent.txns} txn, ${sent.writes} write, +${revisionDelta} rev)`);
    points.push({
      size: bytes,
      ours: { published, requestsSent: sent.txns, writesSent: sent.writes, revisionDelta, versionsAfter: versions, liveKeysAfter: liveKeys },
      reference: { published: rawPut },
    });
  }
  ctx.log(`limit: ${outcomes.join('; ')}`);
  const refusedClean = points.filter((p) => p.ours['published'] === 0).every((p) => p.ours['writesSent'] === 0 && p.ours['revisionDelta'] === 0 && p.ours['versionsAfter'] === 0 && p.ours['liveKeysAfter'] === 0);
  const largestOk = Math.max(...points.filter((p) => p.ours['published'] === 1).map((p) => p.size));
  const smallestRefused = Math.min(...points.filter((p) => p.ours['published'] === 0).map((p) => p.size));
  const oneShot = points.filter((p) => p.ours['published'] === 0 && p.ours['requestsSent'] === 0).map((p) => p.size);
  return {
    id: 'config.limit',
    title: 'Config: publish at and past etcd request limit (1.5 MiB)',
    xLabel: 'document bytes',
    units: { published: '1=yes', requestsSent: 'txn', writesSent: 'txn', revisionDelta: 'rev', versionsAfter: 'versions', liveKeysAfter: 'keys' },
    referenceName: 'one raw put of the same bytes',
    points,
    conclusion:
      `A new ${Math.round(largestOk / KB)} KiB document publishes, a ${Math.round(smallestRefused / KB)} KiB one is refused with CONFIG_TOO_LARGE before any write (a first publish sends it twice: settings + history)` +
      `${oneShot.length ? `, one past the limit before any request` : ''}; ` +
      (refusedClean ? 'every refusal left no revision, version or key.' : 'BUT a refusal left a revision, version or key behind.'),
  };
}

const suite: ScaleSuite = {
  name: 'config',
  async run(ctx) {
    const sizes = ctx.quick ? SIZES.slice(0, 1) : SIZES;
    const publishPoints: ScalePoint[] = [];
    const historyPoints: ScalePoint[] = [];
    for (const bytes of sizes) {
      ctx.log(`publish -> applied, ${sizeLabel(bytes)} documents...`);
      publishPoints.push(await publishToApplied(ctx, bytes));
    }
    for (const bytes of sizes) {
      ctx.log(`history listing, ${sizeLabel(bytes)} documents...`);
      historyPoints.push(await historyListing(ctx, bytes));
    }
    const limit = await sizeLimit(ctx);
    const pubFirst = publishPoints[0]!;
    const pubLast = publishPoints[publishPoints.length - 1]!;
    const histFirst = historyPoints[0]!;
    const histLast = historyPoints[historyPoints.length - 1]!;
    const f = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? 'failed' : v >= 100 ? String(Math.round(v)) : v.toPrecision(2));
    return [
      {
        id: 'config.publish',
        title: `Config: publish -> applied by ${SUBSCRIBERS} hot-config subscribers`,
        xLabel: 'document bytes',
        units: { p50Ms: 'ms', p99Ms: 'ms' },
        referenceName: `raw put of the same bytes -> ${SUBSCRIBERS} watchPrefix watchers`,
        points: publishPoints,
        maxRatio: { p99Ms: 2 },
        conclusion:
          `p99 ${f(pubFirst.ours['p99Ms'])} ms at ${sizeLabel(pubFirst.size)} (raw ${f(pubFirst.reference['p99Ms'])} ms)` +
          (publishPoints.length > 1 ? ` to ${f(pubLast.ours['p99Ms'])} ms at ${sizeLabel(pubLast.size)} (raw ${f(pubLast.reference['p99Ms'])} ms): ` +
            `${(pubLast.ours['p99Ms']! / pubFirst.ours['p99Ms']!).toPrecision(2)}x the time for ${pubLast.size / pubFirst.size}x the bytes` : ''),
      },
      {
        id: 'config.history',
        title: 'Config: listing the history (listVersions)',
        xLabel: 'document bytes',
        units: { listMs: 'ms', usPerVersion: 'µs/version' },
        referenceName: 'raw range reads of the same records',
        points: historyPoints,
        maxRatio: { listMs: 2 },
        conclusion:
          `${histFirst.label}: ${f(histFirst.ours['listMs'])} ms at ${sizeLabel(histFirst.size)} (raw ${f(histFirst.reference['listMs'])} ms)` +
          (historyPoints.length > 1 ? ` to ${f(histLast.ours['listMs'])} ms at ${sizeLabel(histLast.size)} (raw ${f(histLast.reference['listMs'])} ms); each record carries its full document, so listing grows with document size like the raw read` : ''),
      },
      limit,
    ];
  },
};

export default suite;
