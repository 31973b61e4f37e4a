import type { ReceivedSpan } from './otlp-json';

/** Options of {@link TraceStore}. */
export interface TraceStoreOptions {
  /** Traces kept; beyond, the trace received first is dropped (default 200). */
  readonly maxTraces?: number;
  /** Spans kept per trace; later ones are counted in `droppedSpans` (default 1000). */
  readonly maxSpansPerTrace?: number;
}

/** One trace in the list of {@link TraceStore.list}. */
export interface TraceSummary {
  readonly traceId: string;
  /** Name of the root span (the earliest span without a received parent when the root is missing). */
  readonly rootName: string;
  readonly rootService: string;
  /** Services with spans in the trace, sorted. */
  readonly services: readonly string[];
  readonly spanCount: number;
  /** Spans not kept (beyond `maxSpansPerTrace`). */
  readonly droppedSpans: number;
  /** From the earliest start to the latest end, in ms. */
  readonly durationMs: number;
  /** Earliest span start, ISO 8601. */
  readonly startTime: string;
}

/** Names of the OTLP span kinds. */
export type SpanKindName = 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';
const KIND_NAMES: readonly SpanKindName[] = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

/** One span of {@link TraceView.spans}. */
export interface TraceSpanView {
  readonly spanId: string;
  /** `''` for a root. */
  readonly parentSpanId: string;
  /** 0 for roots (and for spans whose parent was not received), parent's depth + 1 otherwise. */
  readonly depth: number;
  /** True when the span names a parent that is not in the trace (yet). */
  readonly parentMissing: boolean;
  readonly service: string;
  readonly name: string;
  readonly kind: SpanKindName;
  /** Start, in ms after the trace's start. */
  readonly offsetMs: number;
  readonly durationMs: number;
  /** ISO 8601. */
  readonly startTime: string;
  /** `unset`, `ok` or `error`. */
  readonly status: 'unset' | 'ok' | 'error';
  readonly statusMessage: string;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** A whole trace: its summary and its spans, each after its parent (see {@link TraceStore.get}). */
export interface TraceView extends TraceSummary {
  readonly spans: readonly TraceSpanView[];
}

interface Entry {
  readonly traceId: string;
  readonly spans: Map<string, ReceivedSpan>;
  readonly services: Set<string>;
  startNs: bigint;
  endNs: bigint;
  dropped: number;
}

const nsToMs = (ns: bigint): number => Number(ns / 1000n) / 1000;
const isoTime = (ns: bigint): string => new Date(Number(ns / 1_000_000n)).toISOString();
const byStart = (a: ReceivedSpan, b: ReceivedSpan): number =>
  a.startTimeUnixNano < b.startTimeUnixNano ? -1 : a.startTimeUnixNano > b.startTimeUnixNano ? 1 : a.spanId < b.spanId ? -1 : 1;

/**
 * The most recent traces in memory, spans grouped by trace id, bounded both in traces
 * (`maxTraces`, the trace received first goes) and in spans per trace. A span received twice
 * (an exporter retry) is kept once. Synchronous and single-threaded: no locking needed.
 */
export class TraceStore {
  private readonly traces = new Map<string, Entry>();
  private readonly maxTraces: number;
  private readonly maxSpansPerTrace: number;

  constructor(options: TraceStoreOptions = {}) {
    this.maxTraces = Math.max(1, options.maxTraces ?? 200);
    this.maxSpansPerTrace = Math.max(1, options.maxSpansPerTrace ?? 1000);
  }

  /** Number of traces kept. */
  get size(): number {
    return this.traces.size;
  }

  /** Adds spans (of any number of traces), dropping the oldest traces beyond `maxTraces`. */
  add(spans: Iterable<ReceivedSpan>): void {
    for (const span of spans) {
      let entry = this.traces.get(span.traceId);
      if (!entry) {
        entry = { traceId: span.traceId, spans: new Map(), services: new Set(), startNs: span.startTimeUnixNano, endNs: span.endTimeUnixNano, dropped: 0 };
        this.traces.set(span.traceId, entry);
        while (this.traces.size > this.maxTraces) this.traces.delete(this.traces.keys().next().value!);
      }
      if (!entry.spans.has(span.spanId) && entry.spans.size >= this.maxSpansPerTrace) {
        entry.dropped++;
        continue;
      }
      entry.spans.set(span.spanId, span);
      entry.services.add(span.service);
      if (span.startTimeUnixNano < entry.startNs) entry.startNs = span.startTimeUnixNano;
      if (span.endTimeUnixNano > entry.endNs) entry.endNs = span.endTimeUnixNano;
    }
  }

  /** Summaries of every trace kept, newest (latest start) first. */
  list(): TraceSummary[] {
    return [...this.traces.values()].sort((a, b) => (a.startNs > b.startNs ? -1 : a.startNs < b.startNs ? 1 : 0)).map((e) => this.summary(e));
  }

  /**
   * The trace `traceId` (any case) with its spans in parent order: each root (earliest first),
   * then depth-first its children, siblings by start time. A span whose parent was not received
   * counts as a root (`parentMissing`). `undefined` for a trace not kept.
   */
  get(traceId: string): TraceView | undefined {
    const entry = this.traces.get(traceId.toLowerCase());
    if (!entry) return undefined;
    const children = new Map<string, ReceivedSpan[]>();
    const roots: ReceivedSpan[] = [];
    for (const span of entry.spans.values()) {
      if (span.parentSpanId !== '' && entry.spans.has(span.parentSpanId)) {
        const siblings = children.get(span.parentSpanId);
        if (siblings) siblings.push(span);
        else children.set(span.parentSpanId, [span]);
      } else {
        roots.push(span);
      }
    }
    const ordered: TraceSpanView[] = [];
    const visited = new Set<string>();
    const walk = (start: ReceivedSpan[]): void => {
      const stack = start.sort(byStart).reverse().map((span) => ({ span, depth: 0 }));
      while (stack.length > 0) {
        const { span, depth } = stack.pop()!;
        if (visited.has(span.spanId)) continue;
        visited.add(span.spanId);
        ordered.push(this.view(entry, span, depth));
        const kids = (children.get(span.spanId) ?? []).sort(byStart);
        for (let i = kids.length - 1; i >= 0; i--) stack.push({ span: kids[i]!, depth: depth + 1 });
      }
    };
    walk(roots);
    // Spans in a parent cycle (malformed input) are reachable from no root: show them as roots.
    walk([...entry.spans.values()].filter((s) => !visited.has(s.spanId)));
    return { ...this.summary(entry), spans: ordered };
  }

  private summary(entry: Entry): TraceSummary {
    // The root is a span without parent; failing that, one whose parent was not received.
    const rank = (s: ReceivedSpan): number => (s.parentSpanId === '' ? 0 : entry.spans.has(s.parentSpanId) ? 2 : 1);
    let root: ReceivedSpan | undefined;
    for (const span of entry.spans.values()) {
      if (!root || rank(span) < rank(root) || (rank(span) === rank(root) && byStart(span, root) < 0)) root = span;
    }
    return {
      traceId: entry.traceId,
      rootName: root?.name ?? '',
      rootService: root?.service ?? '',
      services: [...entry.services].sort(),
      spanCount: entry.spans.size,
      droppedSpans: entry.dropped,
      durationMs: nsToMs(entry.endNs - entry.startNs),
      startTime: isoTime(entry.startNs),
    };
  }

  private view(entry: Entry, span: ReceivedSpan, depth: number): TraceSpanView {
    return {
      spanId: span.spanId,
      parentSpanId: span.parentSpanId,
      depth,
      parentMissing: span.parentSpanId !== '' && !entry.spans.has(span.parentSpanId),
      service: span.service,
      name: span.name,
      kind: KIND_NAMES[span.kind] ?? 'unspecified',
      offsetMs: nsToMs(span.startTimeUnixNano - entry.startNs),
      durationMs: nsToMs(span.endTimeUnixNano - span.startTimeUnixNano),
      startTime: isoTime(span.startTimeUnixNano),
      status: span.statusCode === 2 ? 'error' : span.statusCode === 1 ? 'ok' : 'unset',
      statusMessage: span.statusMessage,
      attributes: span.attributes,
    };
  }
}
