import type { TraceSpanView, TraceView } from '@etcd-patterns/telemetry';

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** `text` safe inside HTML text and quoted attribute values (`& < > " '` as entities). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** Options of {@link renderTracePage}. */
export interface TracePageOptions {
  /** Link back to the trace list (default `/traces`). */
  readonly listHref?: string;
}

const STYLE = `
body { font: 13px/1.45 system-ui, sans-serif; margin: 1.5em; color: #1f2328; }
h1 { font-size: 1.25em; margin: 0.2em 0; }
.meta { color: #59636e; }
code, td.name { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
table { border-collapse: collapse; width: 100%; margin-top: 1em; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eaeef2; white-space: nowrap; }
th { font-weight: 600; color: #59636e; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.timeline { width: 40%; min-width: 200px; }
.track { position: relative; height: 12px; background: #f6f8fa; }
.bar { position: absolute; top: 0; height: 12px; min-width: 2px; border-radius: 2px; }
.dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 6px; }
tr.error td.name { color: #cf222e; }
tr.error .bar { outline: 2px solid #cf222e; }
.note { color: #8c959f; font-size: 0.9em; }
`;

/** A stable hue (0-359) per service, so each service keeps its colour. */
function hue(service: string): number {
  let h = 0;
  for (const c of service) h = (h * 31 + c.charCodeAt(0)) % 360;
  return h;
}

function formatMs(ms: number): string {
  return ms.toFixed(ms < 10 ? 2 : ms < 1000 ? 1 : 0);
}

function percent(value: number): string {
  return `${Math.min(100, Math.max(0, value)).toFixed(3)}%`;
}

function tooltip(span: TraceSpanView): string {
  const lines = [`span ${span.spanId}${span.parentSpanId ? ` (parent ${span.parentSpanId})` : ''}`, `started ${span.startTime}`];
  if (span.status === 'error') lines.push(`error: ${span.statusMessage || '(no message)'}`);
  for (const [key, value] of Object.entries(span.attributes)) lines.push(`${key} = ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return lines.join('\n');
}

function row(span: TraceSpanView, totalMs: number): string {
  const color = `hsl(${hue(span.service)} 55% 48%)`;
  const indent = 8 + Math.min(span.depth, 40) * 16;
  const left = percent((span.offsetMs / totalMs) * 100);
  const width = percent((span.durationMs / totalMs) * 100);
  const missing = span.parentMissing ? ' <span class="note">(parent not received)</span>' : '';
  return (
    `<tr class="span${span.status === 'error' ? ' error' : ''}" title="${escapeHtml(tooltip(span))}">` +
    `<td><span class="dot" style="background:${color}"></span>${escapeHtml(span.service)}</td>` +
    `<td class="name" style="padding-left:${indent}px">${escapeHtml(span.name)}${missing}</td>` +
    `<td>${escapeHtml(span.kind)}</td>` +
    `<td class="num">${formatMs(span.offsetMs)}</td>` +
    `<td class="num">${formatMs(span.durationMs)}</td>` +
    `<td class="timeline"><div class="track"><div class="bar" style="left:${left};width:${width};background:${color}"></div></div></td>` +
    `</tr>`
  );
}

/**
 * The waterfall of one trace as a self-contained HTML page (no script, no external resource):
 * one row per span in parent order, indented by depth, with its service, name, kind, start
 * offset and duration in ms and a bar on the trace's time line; attributes in each row's
 * tooltip. Every text from the spans is escaped.
 */
export function renderTracePage(trace: TraceView, options: TracePageOptions = {}): string {
  const totalMs = Math.max(trace.durationMs, 0.001);
  const title = `${trace.rootService}: ${trace.rootName}`;
  const dropped = trace.droppedSpans > 0 ? ` · ${trace.droppedSpans} spans dropped` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`${title} · trace ${trace.traceId}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<p><a href="${escapeHtml(options.listHref ?? '/traces')}">all traces (JSON)</a></p>
<h1>${escapeHtml(title)}</h1>
<p class="meta">trace <code>${escapeHtml(trace.traceId)}</code> · started ${escapeHtml(trace.startTime)} · ${formatMs(trace.durationMs)} ms · ${trace.spanCount} spans${dropped} · services: ${escapeHtml(trace.services.join(', '))}</p>
<table>
<thead><tr><th>service</th><th>span</th><th>kind</th><th class="num">start (ms)</th><th class="num">duration (ms)</th><th>timeline</th></tr></thead>
<tbody>
${trace.spans.map((s) => row(s, totalMs)).join('\n')}
</tbody>
</table>
</body>
</html>
`;
}
