// Pure parts of the scale runner: ratios, target checks, the terminal table and the HTML report.
// No I/O here (the runner reads the charting library and writes the files), so all of it is
// unit-tested in report.spec.ts.
import type { ScaleCurve, ScalePoint } from './curve';

/** What one suite produced: its curves, or the error that stopped it. */
export interface SuiteResult {
  readonly name: string;
  /** When the suite ran (ISO 8601): a report may keep suites of an earlier full run. */
  readonly date: string;
  readonly curves: readonly ScaleCurve[];
  /** The suite threw: its message (the curves it returned before are kept, none here). */
  readonly error?: string;
  /** Wall time of the suite, in ms. */
  readonly durationMs: number;
}

/** The outcome of one target (`flat`, `noGrowth` or `maxRatio`) of one curve. */
export interface TargetResult {
  readonly curve: string;
  readonly kind: 'flat' | 'noGrowth' | 'maxRatio';
  readonly metric: string;
  /** The allowed value: max/min spread for `flat`, largest/smallest-size for `noGrowth`, ours/reference for `maxRatio`. */
  readonly limit: number;
  /** The measured value (the spread, or the worst ratio); NaN when it could not be computed. */
  readonly value: number;
  readonly pass: boolean;
  /** One line for the reader, e.g. `requestsPerHandoff max/min 1.00 <= 2 (2 at 16 .. 2 at 128)`. */
  readonly detail: string;
}

/** Everything written to bench/results/scale.json. */
export interface ScaleReport {
  readonly date: string;
  readonly quick: boolean;
  readonly suites: readonly SuiteResult[];
  readonly targets: readonly TargetResult[];
}

/** The charting library's files, inlined into the report. */
export interface ChartLibrary {
  readonly name: string;
  readonly version: string;
  readonly js: string;
  readonly css: string;
}

/** ours / reference per metric present in both (finite, non-zero reference only). */
export function ratios(point: ScalePoint): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [metric, ours] of Object.entries(point.ours)) {
    const ref = point.reference[metric];
    if (ref === undefined || !Number.isFinite(ref) || ref === 0 || !Number.isFinite(ours)) continue;
    out[metric] = ours / ref;
  }
  return out;
}

/** Short human form of a number: 3 significant digits, thousands separated above 1,000. */
export function formatNumber(value: number | undefined): string {
  if (value === undefined) return '';
  if (Number.isNaN(value)) return 'n/a';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs === 0) return '0';
  return String(Number(value.toPrecision(3)));
}

function pointName(point: ScalePoint): string {
  return point.label ? `${point.size} (${point.label})` : String(point.size);
}

/** The points that have a finite value of our `metric`, with that value. */
function measuredValues(curve: ScaleCurve, metric: string): Array<{ point: ScalePoint; value: number }> {
  return curve.points
    .map((p) => ({ point: p, value: p.ours[metric] }))
    .filter((m): m is { point: ScalePoint; value: number } => m.value !== undefined && Number.isFinite(m.value));
}

/**
 * Checks a flat target: the largest over the smallest of the metric's per-item values across
 * the curve's points (the suites report per-item values, e.g. bytes per instance) must be at
 * most `within`. Points without the metric are left out; fewer than two points pass trivially
 * only if there is one (a quick run), and fail with none. Zero or negative values make the
 * spread infinite unless every value is zero.
 */
export function checkFlat(curve: ScaleCurve, metric: string, within: number): TargetResult {
  const measured = measuredValues(curve, metric);
  const base = { curve: curve.id, kind: 'flat' as const, metric, limit: within };
  if (measured.length === 0) return { ...base, value: Number.NaN, pass: false, detail: `${metric}: no finite value measured` };
  const values = measured.map((m) => m.value);
  const max = Math.max(...values);
  const min = Math.min(...values);
  const spread = max === min ? 1 : min <= 0 ? Number.POSITIVE_INFINITY : max / min;
  const lo = measured.find((m) => m.value === min)!;
  const hi = measured.find((m) => m.value === max)!;
  const unit = curve.units[metric] ? ` ${curve.units[metric]}` : '';
  return {
    ...base,
    value: spread,
    pass: spread <= within,
    detail:
      `${metric} max/min ${formatNumber(spread)} ${spread <= within ? '<=' : '>'} ${within} ` +
      `(min ${formatNumber(min)}${unit} at ${pointName(lo.point)}, max ${formatNumber(max)}${unit} at ${pointName(hi.point)}; ${measured.length} points)`,
  };
}

/**
 * Checks a no-growth target: the metric's per-item value at each size over its value at the
 * smallest size must be at most `within` (the worst is reported). A cost that falls passes.
 */
export function checkNoGrowth(curve: ScaleCurve, metric: string, within: number): TargetResult {
  const measured = measuredValues(curve, metric).sort((a, b) => a.point.size - b.point.size);
  const base = { curve: curve.id, kind: 'noGrowth' as const, metric, limit: within };
  if (measured.length === 0) return { ...base, value: Number.NaN, pass: false, detail: `${metric}: no finite value measured` };
  const smallestSize = measured[0]!.point.size;
  // Several points may share the smallest size (labels): the cheapest of them is the base.
  const first = measured.filter((m) => m.point.size === smallestSize).reduce((a, b) => (b.value < a.value ? b : a));
  const worst = measured.reduce((a, b) => (b.value > a.value ? b : a));
  const growth = worst.value === first.value ? 1 : first.value <= 0 ? Number.POSITIVE_INFINITY : worst.value / first.value;
  const unit = curve.units[metric] ? ` ${curve.units[metric]}` : '';
  return {
    ...base,
    value: growth,
    pass: growth <= within,
    detail:
      `${metric} worst/smallest-size ${formatNumber(growth)} ${growth <= within ? '<=' : '>'} ${within} ` +
      `(${formatNumber(first.value)}${unit} at ${pointName(first.point)}, worst ${formatNumber(worst.value)}${unit} at ${pointName(worst.point)}; ${measured.length} points)`,
  };
}

/** Checks a ratio target: ours / reference at every point that has both must be <= `limit`. */
export function checkMaxRatio(curve: ScaleCurve, metric: string, limit: number): TargetResult {
  const measured = curve.points.flatMap((p) => {
    const r = ratios(p)[metric];
    return r === undefined ? [] : [{ point: p, ratio: r }];
  });
  const base = { curve: curve.id, kind: 'maxRatio' as const, metric, limit };
  if (measured.length === 0) return { ...base, value: Number.NaN, pass: false, detail: `${metric}: no point has both ours and the reference` };
  const worst = measured.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  return {
    ...base,
    value: worst.ratio,
    pass: worst.ratio <= limit,
    detail: `${metric} ours/${curve.referenceName} worst ${formatNumber(worst.ratio)} ${worst.ratio <= limit ? '<=' : '>'} ${limit} (at ${pointName(worst.point)}; ${measured.length} points)`,
  };
}

/** Every target a curve declares: flat ones, then no-growth ones, then ratios. */
export function checkTargets(curve: ScaleCurve): TargetResult[] {
  return [
    ...(curve.flat ?? []).map((t) => checkFlat(curve, t.metric, t.within)),
    ...(curve.noGrowth ?? []).map((t) => checkNoGrowth(curve, t.metric, t.within)),
    ...Object.entries(curve.maxRatio ?? {}).map(([metric, limit]) => checkMaxRatio(curve, metric, limit)),
  ];
}

/** The metric names of a curve, in first-seen order (ours first, then reference-only ones). */
export function metricsOf(curve: ScaleCurve): string[] {
  const seen = new Set<string>();
  for (const p of curve.points) for (const m of Object.keys(p.ours)) seen.add(m);
  for (const p of curve.points) for (const m of Object.keys(p.reference)) seen.add(m);
  return [...seen];
}

function pad(cells: readonly string[][]): string[] {
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells.map((row) => row.map((cell, i) => (i < 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

/**
 * The terminal table of one curve: a row per point and metric (size, label, metric with its
 * unit, ours, reference, ratio), under the title and the reference's name.
 */
export function formatCurveTable(curve: ScaleCurve): string {
  const rows: string[][] = [['size', 'label', 'metric', 'ours', 'reference', 'ratio']];
  const metrics = metricsOf(curve);
  for (const point of curve.points) {
    const r = ratios(point);
    for (const metric of metrics) {
      if (point.ours[metric] === undefined && point.reference[metric] === undefined) continue;
      const unit = curve.units[metric];
      rows.push([
        formatNumber(point.size),
        point.label ?? '',
        unit ? `${metric} (${unit})` : metric,
        formatNumber(point.ours[metric]),
        formatNumber(point.reference[metric]),
        r[metric] === undefined ? '' : `${formatNumber(r[metric])}x`,
      ]);
    }
  }
  const lines = pad(rows);
  const rule = '-'.repeat(Math.max(...lines.map((l) => l.length)));
  return [`${curve.title}  [${curve.id}; x: ${curve.xLabel}; reference: ${curve.referenceName}]`, rule, lines[0]!, rule, ...lines.slice(1), rule].join('\n');
}

/** One target's line for the terminal, loud when it failed. */
export function formatTarget(t: TargetResult): string {
  return t.pass ? `  PASS  ${t.curve}: ${t.detail}` : `  *** FAIL ***  ${t.curve}: ${t.detail}`;
}

// ---- HTML report -------------------------------------------------------------------------

/** One chart: a metric of a curve against size, a series per (label, ours|reference). */
export interface ChartSpec {
  readonly id: string;
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly xLog: boolean;
  readonly yLog: boolean;
  /** Sorted distinct sizes. */
  readonly x: readonly number[];
  /** `group`: index of the point label, so ours and the reference of one label share a colour. */
  readonly series: ReadonlyArray<{ readonly label: string; readonly group: number; readonly reference: boolean; readonly values: ReadonlyArray<number | null> }>;
}

function spans(values: readonly number[], factor: number): boolean {
  const positive = values.filter((v) => v > 0);
  return positive.length === values.length && positive.length >= 2 && Math.max(...positive) / Math.min(...positive) >= factor;
}

/** The chart of one metric of a curve (log axes when every value is positive and spans 10x). */
export function chartOf(curve: ScaleCurve, metric: string): ChartSpec {
  const x = [...new Set(curve.points.map((p) => p.size))].sort((a, b) => a - b);
  const labels = [...new Set(curve.points.map((p) => p.label ?? ''))];
  const series: Array<{ label: string; group: number; reference: boolean; values: Array<number | null> }> = [];
  for (const [group, label] of labels.entries()) {
    for (const reference of [false, true]) {
      const values = x.map((size) => {
        const point = curve.points.find((p) => p.size === size && (p.label ?? '') === label);
        const v = point && (reference ? point.reference : point.ours)[metric];
        return v === undefined || !Number.isFinite(v) ? null : v;
      });
      if (values.every((v) => v === null)) continue;
      const who = reference ? curve.referenceName : 'ours';
      series.push({ label: label ? `${who}, ${label}` : who, group, reference, values });
    }
  }
  const all = series.flatMap((s) => s.values).filter((v): v is number => v !== null);
  const unit = curve.units[metric];
  return {
    id: `${curve.id}.${metric}`.replace(/[^A-Za-z0-9_.-]/g, '_'),
    title: `${curve.title}: ${metric}`,
    xLabel: curve.xLabel,
    yLabel: unit ? `${metric} (${unit})` : metric,
    xLog: spans(x, 10),
    yLog: spans(all, 20),
    x,
    series,
  };
}

/** The chart a reader should see first for a curve: its first flat target, else first ratio target, else first metric. */
export function keyMetric(curve: ScaleCurve): string | undefined {
  return curve.flat?.[0]?.metric ?? curve.noGrowth?.[0]?.metric ?? Object.keys(curve.maxRatio ?? {})[0] ?? metricsOf(curve)[0];
}

/** Text for HTML (element content and attribute values). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Code or CSS safe inside an inline `<script>`/`<style>`: no early end tag. */
export function escapeScript(text: string): string {
  return text.replace(/<\/(script|style)/gi, '<\\/$1');
}

/** JSON safe inside an inline `<script type="application/json">` (every `<` escaped, still valid JSON). */
export function inlineJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function htmlTable(curve: ScaleCurve): string {
  const metrics = metricsOf(curve);
  const head = '<tr><th>size</th><th>label</th><th>metric</th><th>ours</th><th>reference</th><th>ratio</th></tr>';
  const body = curve.points
    .flatMap((point) => {
      const r = ratios(point);
      return metrics
        .filter((m) => point.ours[m] !== undefined || point.reference[m] !== undefined)
        .map((m) => {
          const unit = curve.units[m] ? ` (${curve.units[m]})` : '';
          const cells = [formatNumber(point.size), point.label ?? '', `${m}${unit}`, formatNumber(point.ours[m]), formatNumber(point.reference[m]), r[m] === undefined ? '' : `${formatNumber(r[m])}x`];
          return `<tr>${cells.map((c, i) => `<td${i === 0 || i >= 3 ? ' class="num"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`;
        });
    })
    .join('\n');
  return `<table>${head}\n${body}</table>`;
}

function targetList(targets: readonly TargetResult[]): string {
  if (targets.length === 0) return '';
  return `<ul class="targets">${targets.map((t) => `<li class="${t.pass ? 'pass' : 'fail'}"><b>${t.pass ? 'PASS' : 'FAIL'}</b> ${escapeHtml(t.detail)}</li>`).join('')}</ul>`;
}

// Runs in the page: draws every chart spec with uPlot, then sets window.__chartsDone.
const CLIENT_SCRIPT = `
(function () {
  var specs = JSON.parse(document.getElementById('chart-data').textContent);
  var colours = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
  function fmt(v) {
    if (v == null) return '';
    var a = Math.abs(v);
    if (a >= 1e6) return String(Number((v / 1e6).toPrecision(3))) + 'M';
    if (a >= 1e3) return String(Number((v / 1e3).toPrecision(3))) + 'k';
    return String(Number(v.toPrecision(3)));
  }
  specs.forEach(function (spec) {
    document.querySelectorAll('[data-chart="' + spec.id + '"]').forEach(function (el) {
      var series = [{ label: spec.xLabel, value: function (u, v) { return fmt(v); } }];
      spec.series.forEach(function (s) {
        var colour = colours[s.group % colours.length];
        series.push({
          label: s.label,
          stroke: colour,
          width: 2,
          dash: s.reference ? [6, 4] : undefined,
          points: { show: true, size: 7, fill: s.reference ? '#fff' : colour },
          spanGaps: true,
          value: function (u, v) { return fmt(v); },
        });
      });
      var opts = {
        title: spec.title,
        width: Number(el.getAttribute('data-width') || 560),
        height: Number(el.getAttribute('data-height') || 300),
        scales: {
          x: { time: false, distr: spec.xLog ? 3 : 1, log: 10 },
          y: spec.yLog ? { distr: 3, log: 10 } : { range: function (u, min, max) { return [Math.min(0, min), max > 0 ? max * 1.1 : 1]; } },
        },
        axes: [
          { label: spec.xLabel + (spec.xLog ? ' (log)' : ''), values: function (u, ticks) { return ticks.map(fmt); } },
          { label: spec.yLabel + (spec.yLog ? ' (log)' : ''), size: 60, values: function (u, ticks) { return ticks.map(fmt); } },
        ],
        series: series,
        legend: { live: false },
      };
      new uPlot(opts, [spec.x].concat(spec.series.map(function (s) { return s.values; })), el);
    });
  });
  window.__chartsDone = true;
})();
`;

const PAGE_CSS = `
body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 24px auto; max-width: 1240px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 36px; border-bottom: 1px solid #ddd; } h3 { font-size: 15px; margin-bottom: 4px; }
.conclusion { background: #f5f7fa; border-left: 4px solid #1f77b4; padding: 6px 10px; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
.chart { border: 1px solid #e3e3e3; padding: 4px; background: #fff; }
table { border-collapse: collapse; font-size: 12px; margin: 8px 0; } td, th { border: 1px solid #ddd; padding: 2px 6px; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.targets { list-style: none; padding-left: 0; } .pass b { color: #2a7a2a; } .fail b { color: #c00; } .fail { color: #900; }
.meta { color: #666; font-size: 12px; } .error { color: #c00; font-weight: bold; }
#key { padding: 12px; background: #fff; }
#key .line { font-size: 12px; color: #333; max-width: 540px; margin: 2px 4px 6px; }
`;

/**
 * The self-contained HTML report: the charting library inlined (no external script or style),
 * the data as inline JSON, a "key charts" section (one chart per curve, also the PNG for the
 * README) and, per curve, its conclusion, targets, every metric's chart and the table.
 */
export function renderHtml(report: ScaleReport, lib: ChartLibrary): string {
  const curves = report.suites.flatMap((s) => s.curves);
  const specs: ChartSpec[] = curves.flatMap((c) => metricsOf(c).map((m) => chartOf(c, m)));
  const chartDiv = (spec: ChartSpec, width: number, height: number): string =>
    `<div class="chart" data-chart="${escapeHtml(spec.id)}" data-width="${width}" data-height="${height}"></div>`;
  const keyCharts = curves
    .map((c) => {
      const m = keyMetric(c);
      if (m === undefined) return '';
      const spec = specs.find((s) => s.id === chartOf(c, m).id)!;
      return `<div>${chartDiv(spec, 540, 270)}<div class="line">${escapeHtml(c.conclusion)}</div></div>`;
    })
    .join('\n');
  const sections = report.suites
    .map((suite) => {
      const err = suite.error ? `<p class="error">suite failed: ${escapeHtml(suite.error)}</p>` : '';
      const body = suite.curves
        .map((c) => {
          const charts = metricsOf(c)
            .map((m) => chartDiv(specs.find((s) => s.id === chartOf(c, m).id)!, 400, 240))
            .join('');
          const targets = report.targets.filter((t) => t.curve === c.id);
          return `<h3 id="${escapeHtml(c.id)}">${escapeHtml(c.title)} <span class="meta">(${escapeHtml(c.id)}; reference: ${escapeHtml(c.referenceName)})</span></h3>
<p class="conclusion">${escapeHtml(c.conclusion)}</p>
${targetList(targets)}
<div class="charts">${charts}</div>
${htmlTable(c)}`;
        })
        .join('\n');
      return `<h2>${escapeHtml(suite.name)} <span class="meta">${formatNumber(suite.durationMs / 1000)} s</span></h2>\n${err}\n${body}`;
    })
    .join('\n');
  const failed = report.targets.filter((t) => !t.pass).length;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>etcd-patterns scale report</title>
<style>${escapeScript(lib.css)}</style>
<style>${PAGE_CSS}</style>
</head><body>
<h1>etcd-patterns: how each pattern's cost grows with its work</h1>
<p class="meta">${escapeHtml(report.date)}${report.quick ? ' (quick run: smallest sizes only)' : ''}; charts by ${escapeHtml(lib.name)} ${escapeHtml(lib.version)}, inlined.
Targets: ${report.targets.length - failed} passed, ${failed} failed. Solid lines: ours; dashed: the reference measured in the same run.</p>
<div id="key"><h2>Key charts</h2><div class="charts">${keyCharts}</div></div>
${sections}
<script type="application/json" id="chart-data">${inlineJson(specs)}</script>
<script>${escapeScript(lib.js)}</script>
<script>${CLIENT_SCRIPT}</script>
</body></html>
`;
}
