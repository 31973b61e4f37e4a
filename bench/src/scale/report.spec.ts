import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ScaleCurve } from './curve';
import { chartOf, checkFlat, checkMaxRatio, checkNoGrowth, checkTargets, escapeHtml, formatCurveTable, formatNumber, formatTarget, ratios, renderHtml, type ChartLibrary, type ScaleReport } from './report';

const curve: ScaleCurve = {
  id: 'lock.handoff',
  title: 'Lock hand-off',
  xLabel: 'waiters',
  units: { requestsPerHandoff: 'req', handoffMs: 'ms' },
  referenceName: 'prefix-watch lock',
  points: [
    { size: 16, ours: { requestsPerHandoff: 2, handoffMs: 3 }, reference: { requestsPerHandoff: 16, handoffMs: 6 } },
    { size: 128, ours: { requestsPerHandoff: 3, handoffMs: 4 }, reference: { requestsPerHandoff: 128, handoffMs: 40 } },
  ],
  flat: [{ metric: 'requestsPerHandoff', within: 2 }],
  maxRatio: { handoffMs: 0.5 },
  conclusion: 'flat: 2-3 requests per hand-off <script>alert(1)</script>',
};

function uplot(): ChartLibrary {
  const dir = dirname(require.resolve('uplot/package.json'));
  return { name: 'uPlot', version: 'x', js: readFileSync(join(dir, 'dist', 'uPlot.iife.min.js'), 'utf8'), css: readFileSync(join(dir, 'dist', 'uPlot.min.css'), 'utf8') };
}

describe('scale report', () => {
  it('computes ours/reference only where both exist and the reference is non-zero', () => {
    expect(ratios({ size: 1, ours: { a: 4, b: 1, c: 2 }, reference: { a: 2, c: 0 } })).toEqual({ a: 2 });
  });

  it('checks flatness as max/min of the per-item values', () => {
    expect(checkFlat(curve, 'requestsPerHandoff', 2)).toMatchObject({ pass: true, value: 1.5 });
    expect(checkFlat(curve, 'requestsPerHandoff', 1.4)).toMatchObject({ pass: false, value: 1.5 });
    expect(checkFlat(curve, 'requestsPerHandoff', 2).detail).toContain('min 2 req at 16, max 3 req at 128');
    const withZero: ScaleCurve = { ...curve, points: [{ size: 1, ours: { m: 0 }, reference: {} }, { size: 2, ours: { m: 1 }, reference: {} }] };
    expect(checkFlat(withZero, 'm', 2)).toMatchObject({ pass: false, value: Number.POSITIVE_INFINITY });
    const allZero: ScaleCurve = { ...curve, points: [{ size: 1, ours: { m: 0 }, reference: {} }, { size: 2, ours: { m: 0 }, reference: {} }] };
    expect(checkFlat(allZero, 'm', 2)).toMatchObject({ pass: true, value: 1 });
    expect(checkFlat(curve, 'missing', 2)).toMatchObject({ pass: false });
  });

  it('checks no-growth against the smallest size: a falling cost passes, a rising one fails', () => {
    const falling: ScaleCurve = { ...curve, points: [{ size: 10, ours: { us: 24 }, reference: {} }, { size: 100, ours: { us: 9 }, reference: {} }] };
    expect(checkFlat(falling, 'us', 2).pass).toBe(false);
    expect(checkNoGrowth(falling, 'us', 2)).toMatchObject({ pass: true, value: 1 });
    const rising: ScaleCurve = { ...curve, points: [{ size: 100, ours: { us: 30 }, reference: {} }, { size: 10, ours: { us: 10 }, reference: {} }] };
    expect(checkNoGrowth(rising, 'us', 2)).toMatchObject({ pass: false, value: 3 });
    expect(checkNoGrowth(rising, 'us', 2).detail).toContain('10 at 10, worst 30 at 100');
    expect(checkNoGrowth(curve, 'missing', 2)).toMatchObject({ pass: false });
    expect(checkTargets({ ...rising, flat: [], maxRatio: {}, noGrowth: [{ metric: 'us', within: 2 }] }).map((t) => t.kind)).toEqual(['noGrowth']);
  });

  it('checks ratio targets at every point, reporting the worst', () => {
    expect(checkMaxRatio(curve, 'handoffMs', 0.5)).toMatchObject({ pass: true, value: 0.5 });
    expect(checkMaxRatio(curve, 'handoffMs', 0.2)).toMatchObject({ pass: false, value: 0.5 });
    expect(checkTargets(curve).map((t) => [t.kind, t.metric, t.pass])).toEqual([
      ['flat', 'requestsPerHandoff', true],
      ['maxRatio', 'handoffMs', true],
    ]);
    expect(formatTarget({ ...checkMaxRatio(curve, 'handoffMs', 0.2) })).toMatch(/^ {2}\*\*\* FAIL \*\*\*/);
  });

  it('formats numbers and the terminal table', () => {
    expect([formatNumber(0.012345), formatNumber(12.345), formatNumber(123456.7), formatNumber(Number.NaN), formatNumber(undefined)]).toEqual(['0.0123', '12.3', '123,457', 'n/a', '']);
    const table = formatCurveTable(curve).split('\n');
    expect(table[0]).toContain('Lock hand-off');
    expect(table[2]).toMatch(/^size\s+label\s+metric\s+ours\s+reference\s+ratio$/);
    expect(table.find((l) => l.includes('requestsPerHandoff (req)') && l.trimStart().startsWith('128'))).toMatch(/3\s+128\s+0\.0234x$/);
    expect(table).toHaveLength(4 + 4 + 1); // title, rule, header, rule, a row per point and metric, rule
  });

  it('charts a metric per label with log axes when values span 10x', () => {
    const spec = chartOf(curve, 'requestsPerHandoff');
    expect(spec).toMatchObject({ x: [16, 128], xLog: false, yLog: true });
    expect(spec.series.map((s) => [s.label, s.values])).toEqual([
      ['ours', [2, 3]],
      ['prefix-watch lock', [16, 128]],
    ]);
    const labelled: ScaleCurve = {
      ...curve,
      points: [
        { size: 100, label: '1 process', ours: { m: 1 }, reference: {} },
        { size: 1000, label: '1 process', ours: { m: 2 }, reference: {} },
        { size: 1000, label: '10 processes', ours: { m: 3 }, reference: {} },
      ],
    };
    const byLabel = chartOf(labelled, 'm');
    expect(byLabel.xLog).toBe(true);
    expect(byLabel.series.map((s) => [s.label, s.group, s.values])).toEqual([
      ['ours, 1 process', 0, [1, 2]],
      ['ours, 10 processes', 1, [null, 3]],
    ]);
  });

  it('renders a self-contained HTML report: the library inlined, no external script or style, text escaped', () => {
    const lib = uplot();
    const report: ScaleReport = {
      date: '2026-11-20T00:00:00Z',
      quick: false,
      suites: [{ name: 'lock', date: '2026-11-20T00:00:00Z', curves: [curve], durationMs: 1000 }],
      targets: checkTargets(curve),
    };
    const html = renderHtml(report, lib);
    expect(html).toContain(lib.js.slice(0, 200));
    expect(html).toContain(lib.css.slice(0, 100));
    expect(html).not.toMatch(/<script[^>]*\bsrc\s*=/i);
    expect(html).not.toMatch(/<link[^>]*\bhref\s*=/i);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain(escapeHtml(curve.conclusion));
    // The chart data parses back from the page.
    const data = /<script type="application\/json" id="chart-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(JSON.parse(data).map((s: { id: string }) => s.id)).toEqual(['lock.handoff.requestsPerHandoff', 'lock.handoff.handoffMs']);
    expect(html).toContain('data-chart="lock.handoff.requestsPerHandoff"');
    expect(html).toMatch(/<b>PASS<\/b>/);
  });
});
