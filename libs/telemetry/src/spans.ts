import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
} from '@opentelemetry/api';

const TRACER = 'etcd-patterns';

/** The tracer of the etcd pattern spans. */
export function patternTracer(): ReturnType<typeof trace.getTracer> {
  return trace.getTracer(TRACER);
}

function fail(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') span.setAttribute('error.code', code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/**
 * Runs `fn` in a new active span `name`, ending it when `fn` settles (status ERROR and the
 * exception recorded when it throws; an `EtcdPatternsError`'s `code` becomes `error.code`).
 * With `root`, the span starts a trace of its own instead of joining the active one.
 */
export async function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T> | T,
  options: { readonly root?: boolean } = {},
): Promise<T> {
  return patternTracer().startActiveSpan(name, { attributes, kind: SpanKind.INTERNAL, root: options.root }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      fail(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * `lock.wait`: the time spent acquiring the lock `name`. Records `lock.name`, whether it was
 * acquired (`lock.acquired`, false for a `tryLock` that found it taken) and the fencing token.
 */
export function traceLockWait<T extends { token: number } | undefined>(name: string, acquire: () => Promise<T>): Promise<T> {
  return withSpan('lock.wait', { 'lock.name': name }, async (span) => {
    const handle = await acquire();
    span.setAttribute('lock.acquired', handle !== undefined);
    if (handle) span.setAttribute('lock.fencing_token', handle.token);
    return handle;
  });
}

/**
 * `lock.hold`: runs `fn` while the lock is held, as a span from acquisition to release, with
 * `lock.name` and `lock.fencing_token`; `lock.lost` is set when the lock was lost meanwhile.
 */
export function traceLockHold<T>(
  held: { readonly token: number; readonly lost: AbortSignal },
  name: string,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return withSpan('lock.hold', { 'lock.name': name, 'lock.fencing_token': held.token }, async (span) => {
    try {
      return await fn(span);
    } finally {
      span.setAttribute('lock.lost', held.lost.aborted);
    }
  });
}

/**
 * `election.term`: one term as leader of `election` (from winning to resigning or losing), with
 * the candidate value and the leadership's fencing token. Campaign waits are not traced: a
 * follower waits for as long as the leader lives, which is not an operation anyone traces.
 */
export function traceElectionTerm<T>(
  election: string,
  candidate: string,
  token: number,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const attributes = { 'election.name': election, 'election.candidate': candidate, 'election.fencing_token': token };
  return withSpan('election.term', attributes, fn, { root: true });
}

/** What {@link recordConfigReload} needs from a `ConfigChange`. */
export interface ConfigReloadInfo {
  readonly version: number;
  readonly revision: number;
  readonly source: string;
  readonly diff: { readonly added: readonly unknown[]; readonly removed: readonly unknown[]; readonly changed: readonly unknown[] };
}

/**
 * `config.reload`: a zero-length root span per applied config change, with the namespace,
 * version, etcd revision, source (`publish`, `out-of-band`, `default`) and changed key counts.
 */
export function recordConfigReload(namespace: string, change: ConfigReloadInfo): void {
  patternTracer()
    .startSpan('config.reload', {
      root: true,
      attributes: {
        'config.namespace': namespace,
        'config.version': change.version,
        'config.revision': change.revision,
        'config.source': change.source,
        'config.keys_added': change.diff.added.length,
        'config.keys_removed': change.diff.removed.length,
        'config.keys_changed': change.diff.changed.length,
      },
    })
    .end();
}

/** `discovery.register`: registering `service` at `address`, as a root span. */
export function traceRegistration<T>(service: string, address: string, fn: () => Promise<T>): Promise<T> {
  return context.with(ROOT_CONTEXT, () => withSpan('discovery.register', { 'service.instance.address': address, 'discovery.service': service }, fn));
}

/**
 * The active trace context as a plain carrier (`traceparent`, `tracestate`), to store with work
 * that another process picks up later (a job record), so that process can continue the trace.
 */
export function captureTraceContext(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/**
 * Runs `fn` in a new span `name` whose parent is the context stored by
 * {@link captureTraceContext} (or a new trace when the carrier is empty).
 */
export function withSpanFromCarrier<T>(
  carrier: Record<string, string> | undefined,
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = propagation.extract(ROOT_CONTEXT, carrier ?? {});
  return context.with(parent, () => withSpan(name, attributes, fn));
}
