// Child process of ops.bench.ts (not a benchmark itself: main.ts only loads `*.bench.ts`).
// Saves one snapshot with `saveSnapshot`, as a user's backup process would, so that it can be
// timed from spawn to exit exactly as `etcdctl snapshot save` is, and so that its peak RSS is
// its own and not the bench runner's.
//
//   node --import tsx bench/src/ops-snapshot-child.ts ENDPOINT FILE digest|full
//
// Prints one JSON line: { bytes, tookMs, cpuMs, startMaxRssKb, maxRssKb } where `cpuMs` is the
// process's user + system CPU time during `saveSnapshot` (start-up excluded), `startMaxRssKb`
// the peak RSS once modules are loaded and the client is connected (before the snapshot) and
// `maxRssKb` the peak at the end (`process.resourceUsage().maxRSS`, kilobytes).
import { ClusterOps, saveSnapshot } from '@etcd-patterns/ops';

async function main(): Promise<void> {
  const [endpoint, file, verify] = process.argv.slice(2);
  if (!endpoint || !file || (verify !== 'digest' && verify !== 'full')) throw new Error('usage: ops-snapshot-child ENDPOINT FILE digest|full');
  // The client epctl cluster snapshot save uses (ClusterOps: a 4 MiB HTTP/2 window).
  const ops = await ClusterOps.connect({ endpoints: [endpoint] });
  const client = ops.client;
  try {
    const startMaxRssKb = process.resourceUsage().maxRSS;
    const cpuBefore = process.cpuUsage();
    const saved = await saveSnapshot(client, file, { verify });
    const cpu = process.cpuUsage(cpuBefore);
    const maxRssKb = process.resourceUsage().maxRSS;
    const cpuMs = (cpu.user + cpu.system) / 1000;
    process.stdout.write(`${JSON.stringify({ bytes: saved.bytes, tookMs: saved.tookMs, cpuMs, startMaxRssKb, maxRssKb })}\n`);
  } finally {
    await ops.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
