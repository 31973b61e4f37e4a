// `npm run bench -- --scale [--quick] [suite...]`: runs every bench/src/scale/*.scale.ts (or the
// ones named), each against a fresh 3-member etcd cluster; prints a table per curve and every
// target's PASS/FAIL; writes bench/results/scale.json, the self-contained HTML report
// bench/results/scale.html and its key charts as a PNG (headless Chromium).
//
// A full run of some suites keeps the other suites' curves from the previous full run in the
// report (each suite records its date), so the report and the PNG always show every curve.
// A missed target is reported loudly but does not fail the run: these are measurements.
import { createEtcdClient } from '@etcd-patterns/etcd';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import type { Etcd3 } from 'etcd3';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { ScaleSuite } from './curve';
import { checkTargets, formatCurveTable, formatTarget, renderHtml, type ChartLibrary, type ScaleReport, type SuiteResult } from './report';
import { renderPng } from './render-png';

const RESULTS = join(__dirname, '..', '..', 'results');
const REPO = join(__dirname, '..', '..', '..');

/** The chart library's files from node_modules, to inline into the report. */
function chartLibrary(): ChartLibrary {
  const pkgPath = require.resolve('uplot/package.json');
  const dir = dirname(pkgPath);
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string };
  return {
    name: 'uPlot',
    version: pkg.version,
    js: readFileSync(join(dir, 'dist', 'uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(join(dir, 'dist', 'uPlot.min.css'), 'utf8'),
  };
}

function parseArgs(argv: readonly string[]): { quick: boolean; only: string[]; png: string | undefined } {
  let png: string | undefined;
  const only: string[] = [];
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') quick = true;
    else if (a === '--png') png = argv[++i];
    else if (a.startsWith('--png=')) png = a.slice('--png='.length);
    else only.push(a);
  }
  return { quick, only, png };
}

async function runSuite(suite: ScaleSuite, quick: boolean): Promise<SuiteResult> {
  const started = performance.now();
  const date = new Date().toISOString();
  const cluster = await EtcdCluster.start({ size: 3 });
  const clients: Etcd3[] = [];
  try {
    const curves = await suite.run({
      cluster,
      quick,
      log: (message) => process.stderr.write(`scale ${suite.name}: ${message}\n`),
      client: async (endpoints = cluster.endpoints) => {
        const c = await createEtcdClient({ endpoints: [...endpoints] });
        clients.push(c);
        return c;
      },
    });
    return { name: suite.name, date, curves, durationMs: performance.now() - started };
  } catch (error) {
    process.stderr.write(`scale ${suite.name}: FAILED: ${error instanceof Error ? error.stack : String(error)}\n`);
    return { name: suite.name, date, curves: [], error: error instanceof Error ? error.message : String(error), durationMs: performance.now() - started };
  } finally {
    for (const c of clients) c.close();
    await cluster.close();
  }
}

/** Suites of the previous full run that this run did not repeat. */
function previousSuites(path: string, ran: ReadonlySet<string>): SuiteResult[] {
  if (!existsSync(path)) return [];
  try {
    const old = JSON.parse(readFileSync(path, 'utf8')) as ScaleReport;
    if (old.quick) return [];
    return old.suites.filter((s) => !ran.has(s.name));
  } catch {
    return [];
  }
}

/** Runs the scale mode with `argv` (without `--scale`). */
export async function runScale(argv: readonly string[]): Promise<void> {
  const { quick, only, png } = parseArgs(argv);
  const dir = __dirname;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.scale.ts'))
    .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
    .sort();
  if (files.length === 0) throw new Error(`no scale suite matches ${only.join(' ') || '*'} in ${dir}`);
  const results: SuiteResult[] = [];
  for (const file of files) {
    const suite = ((await import(join(dir, file))) as { default: ScaleSuite }).default;
    process.stderr.write(`scale: ${suite.name}${quick ? ' (quick)' : ''}...\n`);
    const result = await runSuite(suite, quick);
    process.stderr.write(`scale: ${suite.name} done in ${(result.durationMs / 1000).toFixed(1)} s\n`);
    results.push(result);
  }

  const jsonPath = join(RESULTS, 'scale.json');
  const kept = quick ? [] : previousSuites(jsonPath, new Set(results.map((r) => r.name)));
  const suites = [...results, ...kept].sort((a, b) => a.name.localeCompare(b.name));
  const targets = suites.flatMap((s) => s.curves.flatMap(checkTargets));
  const report: ScaleReport = { date: new Date().toISOString(), quick, suites, targets };

  const out: string[] = [];
  for (const suite of results) {
    if (suite.error) out.push(`\n*** suite ${suite.name} FAILED: ${suite.error} ***`);
    for (const curve of suite.curves) {
      out.push('', formatCurveTable(curve), `  => ${curve.conclusion}`);
      for (const t of targets.filter((x) => x.curve === curve.id)) out.push(formatTarget(t));
    }
  }
  const ranIds = new Set(results.flatMap((s) => s.curves.map((c) => c.id)));
  const failed = targets.filter((t) => !t.pass && ranIds.has(t.curve));
  const ran = targets.filter((t) => ranIds.has(t.curve));
  out.push('', failed.length === 0 ? `scale: all ${ran.length} targets PASS` : `scale: *** ${failed.length} of ${ran.length} targets FAILED ***`);
  for (const t of failed) out.push(formatTarget(t));
  if (kept.length > 0) out.push(`(the report also shows ${kept.map((s) => `${s.name} from ${s.date}`).join(', ')})`);
  process.stdout.write(out.join('\n') + '\n');

  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(jsonPath, JSON.stringify(report, null, 2));
  const html = renderHtml(report, chartLibrary());
  const htmlPath = join(RESULTS, 'scale.html');
  writeFileSync(htmlPath, html);
  const pngPath = png ?? join(RESULTS, 'scale.png');
  try {
    await renderPng(html, pngPath);
    process.stderr.write(`scale: wrote ${relative(REPO, jsonPath)}, ${relative(REPO, htmlPath)}, ${relative(REPO, pngPath)}\n`);
  } catch (error) {
    process.stderr.write(`scale: wrote ${relative(REPO, jsonPath)}, ${relative(REPO, htmlPath)}; the PNG failed: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}

if (require.main === module) {
  runScale(process.argv.slice(2)).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
