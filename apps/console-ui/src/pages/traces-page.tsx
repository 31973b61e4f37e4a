// Traces: recent traces, and a waterfall of one trace at `#/traces/<traceId>` (bars offset by
// start, width by duration, indented by depth, coloured by service).
import type { TraceDetailView, TracesView } from '@etcd-patterns/console-contract';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useApi } from '../api/api-context';
import { isApiError } from '../api/client';
import { queryKeys } from '../api/query-keys';
import { DataTable, type Column } from '../components/data-table';
import { ErrorBox } from '../components/error-box';
import { Badge, Clip, EmptyState, Loading, PageHeader } from '../components/ui';
import { colourFor, coloursFor, formatMs, formatTime } from '../lib/format';
import { navigate, routeHref } from '../lib/router';

type TraceRow = TracesView['traces'][number];
type Span = TraceDetailView['spans'][number];

export function TracesPage({ traceId }: { traceId: string | undefined }) {
  return traceId ? <TraceWaterfall traceId={traceId} /> : <TraceList />;
}

function TraceList() {
  const api = useApi();
  const [search, setSearch] = useState('');
  const traces = useQuery({ queryKey: queryKeys.traces, queryFn: ({ signal }) => api.get<TracesView>('/traces', { signal }), refetchInterval: 5_000 });
  const rows = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return (traces.data?.traces ?? [])
      .filter((t) => !needle || t.traceId.includes(needle) || t.rootName.toLowerCase().includes(needle) || t.services.some((s) => s.toLowerCase().includes(needle)))
      .slice()
      .sort((a, b) => b.startTime.localeCompare(a.startTime));
  }, [traces.data, search]);
  const columns: Column<TraceRow>[] = [
    { id: 'time', header: 'Started', width: '150px', text: (row) => formatTime(row.startTime) },
    { id: 'root', header: 'Root span', width: '26%', render: (row) => <a href={routeHref(['traces', row.traceId])} title={row.rootName}>{row.rootName || '(unnamed)'}</a>, text: (row) => row.rootName },
    { id: 'service', header: 'Root service', width: '12%', render: (row) => <ServiceName name={row.rootService} /> },
    { id: 'services', header: 'Services', text: (row) => row.services.join(', ') },
    { id: 'spans', header: 'Spans', width: '60px', align: 'right', text: (row) => String(row.spanCount) },
    { id: 'duration', header: 'Duration', width: '90px', align: 'right', text: (row) => formatMs(row.durationMs) },
    { id: 'id', header: 'Trace id', width: '260px', mono: true, text: (row) => row.traceId },
  ];
  return (
    <>
      <PageHeader title="Traces">
        <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="trace id, span, service" data-testid="traces-search" spellCheck={false} />
      </PageHeader>
      {traces.isError ? <ErrorBox error={traces.error} /> : null}
      {traces.isPending ? <Loading what="traces" /> : null}
      {traces.data ? (
        <DataTable
          rows={rows}
          columns={columns}
          rowKey={(row) => row.traceId}
          onRowClick={(row) => navigate(['traces', row.traceId])}
          rowAttributes={(row) => ({ 'data-testid': 'trace-row', 'data-trace-id': row.traceId })}
          testId="traces-table"
          empty={
            <EmptyState title="No traces received yet" testId="traces-empty">
              Point the apps' OTLP/HTTP exporter at the console: <code>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://&lt;console&gt;/v1/traces</code>.
            </EmptyState>
          }
        />
      ) : null}
    </>
  );
}

function ServiceName({ name, colour }: { name: string; colour?: string }) {
  return (
    <span className="service-name" title={name}>
      <span className="swatch" style={{ background: colour ?? colourFor(name) }} />
      <span className="clip">{name}</span>
    </span>
  );
}

/** Spans in tree order: each parent followed by its children, siblings by start time. */
function treeOrder(spans: readonly Span[]): Span[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, Span[]>();
  const roots: Span[] = [];
  for (const span of spans) {
    if (span.parentSpanId && ids.has(span.parentSpanId)) {
      const list = children.get(span.parentSpanId) ?? [];
      list.push(span);
      children.set(span.parentSpanId, list);
    } else roots.push(span);
  }
  const byStart = (a: Span, b: Span) => a.startOffsetMs - b.startOffsetMs;
  const out: Span[] = [];
  const seen = new Set<string>();
  const visit = (span: Span) => {
    if (seen.has(span.spanId)) return;
    seen.add(span.spanId);
    out.push(span);
    for (const child of (children.get(span.spanId) ?? []).sort(byStart)) visit(child);
  };
  for (const root of roots.sort(byStart)) visit(root);
  return out;
}

function TraceWaterfall({ traceId }: { traceId: string }) {
  const api = useApi();
  const trace = useQuery({ queryKey: queryKeys.trace(traceId), queryFn: ({ signal }) => api.get<TraceDetailView>(`/traces/${encodeURIComponent(traceId)}`, { signal }) });
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const spans = useMemo(() => treeOrder(trace.data?.spans ?? []), [trace.data]);
  const totalMs = useMemo(() => Math.max(1, ...spans.map((s) => s.startOffsetMs + s.durationMs)), [spans]);
  const services = useMemo(() => [...new Set(spans.map((s) => s.service))], [spans]);
  const colours = useMemo(() => coloursFor(services), [services]);
  const colour = (service: string) => colours.get(service) ?? colourFor(service);
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const chosen = spans.find((s) => s.spanId === selected);

  return (
    <>
      <PageHeader title="Trace">
        <a href={routeHref(['traces'])} className="btn">
          ← All traces
        </a>
      </PageHeader>
      <p className="mono small" data-testid="trace-id">
        {traceId}
      </p>
      {trace.isError ? <ErrorBox error={trace.error} title={isApiError(trace.error, 404) ? 'This trace is not (or no longer) kept by the console' : undefined} /> : null}
      {trace.isPending ? <Loading what="trace" /> : null}
      {trace.data ? (
        <>
          <div className="toolbar">
            <span className="muted">{`${spans.length} spans · ${formatMs(totalMs)}`}</span>
            {services.map((service) => (
              <ServiceName key={service} name={service} colour={colour(service)} />
            ))}
          </div>
          <div className="waterfall" data-testid="trace-waterfall">
            <div className="waterfall-row waterfall-axis">
              <div className="waterfall-label">Span</div>
              <div className="waterfall-track">
                {ticks.map((tick) => (
                  <span key={tick} className="tick" style={{ left: `${tick * 100}%` }}>
                    {formatMs(tick * totalMs)}
                  </span>
                ))}
              </div>
            </div>
            {spans.map((span) => {
              const left = (span.startOffsetMs / totalMs) * 100;
              const width = Math.max(0.3, (span.durationMs / totalMs) * 100);
              const failed = /error/i.test(span.status);
              return (
                <div
                  key={span.spanId}
                  className={`waterfall-row${span.spanId === selected ? ' selected' : ''}`}
                  onClick={() => setSelected(span.spanId === selected ? undefined : span.spanId)}
                  data-testid="trace-span"
                  data-span-id={span.spanId}
                  data-depth={span.depth}
                >
                  <div className="waterfall-label" style={{ paddingLeft: `${6 + span.depth * 14}px` }} title={`${span.service}: ${span.name}`}>
                    <span className="swatch" style={{ background: colour(span.service) }} />
                    <span className="clip">{span.name}</span>
                  </div>
                  <div className="waterfall-track">
                    <div
                      className={`waterfall-bar${failed ? ' failed' : ''}`}
                      style={{ left: `${Math.min(left, 99.7)}%`, width: `${Math.min(width, 100 - Math.min(left, 99.7))}%`, background: colour(span.service) }}
                      title={`${span.service} · ${span.name} · ${formatMs(span.durationMs)} at +${formatMs(span.startOffsetMs)}`}
                    />
                    {/* The duration sits right of the bar, or inside its end when the bar reaches the right edge. */}
                    <span className={left + width > 88 ? 'waterfall-duration inside' : 'waterfall-duration'} style={{ left: `${Math.min(left + width, 100)}%` }}>
                      {formatMs(span.durationMs)}
                    </span>
                  </div>
                </div>
              );
            })}
          </div>
          {chosen ? (
            <section className="section" data-testid="span-detail">
              <h2>
                <Clip text={chosen.name} />
              </h2>
              <div className="badges">
                <ServiceName name={chosen.service} colour={colour(chosen.service)} />
                <Badge>{chosen.kind}</Badge>
                <Badge tone={/error/i.test(chosen.status) ? 'bad' : 'good'}>{chosen.status || 'unset'}</Badge>
                <span className="muted">{`${formatMs(chosen.durationMs)} at +${formatMs(chosen.startOffsetMs)} · span ${chosen.spanId}${chosen.parentSpanId ? ` · parent ${chosen.parentSpanId}` : ''}`}</span>
              </div>
              <table className="data-table plain attrs">
                <tbody>
                  {Object.entries(chosen.attributes).map(([name, value]) => (
                    <tr key={name}>
                      <td className="mono" style={{ width: '30%' }}>
                        {name}
                      </td>
                      <td className="mono wrap">{typeof value === 'string' ? value : JSON.stringify(value)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          ) : (
            <p className="muted small">Click a span for its attributes.</p>
          )}
        </>
      ) : null}
    </>
  );
}
