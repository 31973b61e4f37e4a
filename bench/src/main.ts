// `npm run bench`: starts one 3-member etcd cluster, runs every bench/src/*.bench.ts (or the
// ones named in argv), prints a table of ratios and writes bench/results/latest.json.
// With `--scale`, runs the scale suites instead (see scale/main.ts).
import { createEtcdClient } from '@etcd-patterns/etcd';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import type { Etcd3 } from 'etcd3';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Benchmark, BenchRow } from './bench-kit';
import { runScale } from './scale/main';

function ratio(ours: Record<string, number>, ref: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.keys(ours)
      .filter((k) => ref[k] !== undefined)
      .map((k) => [k, Number((ours[k]! / ref[k]!).toPrecision(3))]),
  );
}

function fmt(values: Record<string, number>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k} ${v >= 100 ? Math.round(v) : Number(v.toPrecision(3))}`)
    .join(', ');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--scale')) {
    // Scale mode (bench/src/scale): minutes to half an hour, not part of the default run.
    await runScale(args.filter((a) => a !== '--scale'));
    return;
  }
  const only = args;
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)));
  const scale = Number(process.env['BENCH_SCALE'] ?? 1);
  const rows: BenchRow[] = [];
  for (const file of files) {
    const bench = ((await import(join(__dirname, file))) as { default: Benchmark }).default;
    const cluster = await EtcdCluster.start({ size: 3 });
    const clients: Etcd3[] = [];
    try {
      process.stderr.write(`bench: ${bench.name}...\n`);
      const out = await bench.run({
        cluster,
        scale,
        client: async (endpoints = cluster.endpoints) => {
          const c = await createEtcdClient({ endpoints: [...endpoints] });
          clients.push(c);
          return c;
        },
      });
      rows.push(...out.map((r) => ({ ...r, ratio: ratio(r.ours, r.reference) })));
    } finally {
      for (const c of clients) c.close();
      await cluster.close();
    }
  }
  const header = '| bench | metric | ours | reference | ratio | target |';
  const lines = rows.map(
    (r) =>
      `| ${r.bench} | ${r.metric} (${r.unit}) | ${fmt(r.ours)} | ${r.referenceName}: ${fmt(r.reference)} | ${fmt(r.ratio ?? {})} | ${r.target ?? ''} |`,
  );
  process.stdout.write([header, '|---|---|---|---|---|---|', ...lines].join('\n') + '\n');
  const dir = join(__dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), JSON.stringify({ date: new Date().toISOString(), rows }, null, 2));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
