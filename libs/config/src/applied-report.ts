import { EtcdPatternsError, prefixRangeEnd, Session, SessionKeeper, throwIfAborted, toEtcdError, toKeyValue, type Etcd3 } from '@etcd-patterns/etcd';
import { z } from 'zod';
import { ConfigValidationError } from './errors';
import { ConfigNamespace } from './namespace';
import type { NamespaceOptions } from './schema-store';
import type { HotConfig } from './watch-config';

/** What one replica applied, as stored under `<root>/_applied/<env>/<app>/<instance>`. */
export interface AppliedReport {
  /** The replica's name (e.g. its `INSTANCE_NAME`). */
  readonly instance: string;
  /** The config version it runs with (0: a default, or settings never published). */
  readonly version: number;
  /** Where its value came from (`publish`, `rollback`, `out-of-band`, `default`). */
  readonly source: string;
  /** etcd revision of the state it applied. */
  readonly revision: number;
  /** When it applied it (ISO 8601). */
  readonly appliedAt: string;
  /** The last change it refused since, if any: the version and why. */
  readonly rejected?: { readonly version: number; readonly revision: number; readonly reason: string; readonly at: string };
}

const reportSchema = z.object({
  instance: z.string().min(1),
  version: z.number().int().min(0),
  source: z.string(),
  revision: z.number().int().min(0),
  appliedAt: z.string(),
  rejected: z.object({ version: z.number().int().min(0), revision: z.number().int().min(0), reason: z.string(), at: z.string() }).optional(),
});

/** Options of {@link reportApplied}. */
export interface ReportAppliedOptions {
  /** An etcd client. */
  readonly client: Etcd3;
  /** The hot config whose state is reported. */
  readonly hot: HotConfig<unknown>;
  /** `env/app` or a {@link ConfigNamespace}: the namespace `hot` watches. */
  readonly namespace: string | ConfigNamespace;
  /** Root prefix, default `/config`. */
  readonly root?: string;
  /** This replica's name; unique among the namespace's replicas. */
  readonly instance: string;
  /**
   * The lease the report lives on, so that it vanishes with the process. A `SessionKeeper`
   * writes it again on every new lease; with a plain `Session` the report ends with it.
   */
  readonly session: SessionKeeper | Session;
  /** Receives write failures (they are retried on the next change or lease). */
  readonly onError?: (error: EtcdPatternsError) => void;
}

/** Handle of a running {@link reportApplied}. */
export interface AppliedReporter extends AsyncDisposable {
  /** Resolves once the current state has been written (or failed to be). */
  flush(): Promise<void>;
  /** Stops reporting and deletes the report. Idempotent. */
  close(): Promise<void>;
}

/**
 * Publishes what this replica actually applied, so that operators (the gateway's config view,
 * `epctl config get`, the console) can tell a version every replica runs from one they all
 * refused: the version, its source and revision, and the last refused version with its reason.
 * The key is attached to the replica's lease, so a dead replica's report vanishes with it.
 */
export function reportApplied(options: ReportAppliedOptions): AppliedReporter {
  const ns = ConfigNamespace.parse(options.namespace, options.root);
  const key = ns.appliedKey(options.instance);
  const { hot, client } = options;
  const initial = hot.lastError;
  let rejected: AppliedReport['rejected'] =
    initial instanceof ConfigValidationError ? { version: initial.version, revision: initial.revision, reason: initial.message, at: new Date().toISOString() } : undefined;
  let appliedAt = new Date().toISOString();
  let closed = false;
  let writtenOnLease: string | undefined;
  let retry: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  const report = (error: EtcdPatternsError): void => {
    try {
      options.onError?.(error);
    } catch {
      // onError must not throw; a throwing one must not stop the reports.
    }
  };
  const leaseOf = (): string | undefined => {
    const s = options.session instanceof SessionKeeper ? options.session.current : options.session;
    return s && !s.lost.aborted ? s.leaseId : undefined;
  };
  const job = async (): Promise<void> => {
    const lease = leaseOf();
    const change = hot.lastChange;
    if (closed || lease === undefined || change === undefined) return;
    const value: AppliedReport = {
      instance: options.instance,
      version: change.version,
      source: change.source,
      revision: change.revision,
      appliedAt,
      ...(rejected ? { rejected } : {}),
    };
    try {
      await client.put(key).value(JSON.stringify(value)).lease(lease).exec();
      writtenOnLease = lease;
    } catch (error) {
      report(toEtcdError(error, `reporting the applied config of ${options.instance}`));
      // Retried until it lands (or a newer write or close() supersedes it): a stale report
      // would show this replica behind for good.
      clearTimeout(retry);
      retry = setTimeout(() => void write(), 1000);
      retry.unref();
    }
  };
  const write = (): Promise<void> => {
    clearTimeout(retry);
    writing = writing.then(job).catch(() => undefined);
    return writing;
  };

  const unsubscribes = [
    hot.subscribe(() => {
      rejected = undefined;
      appliedAt = new Date().toISOString();
      void write();
    }),
    hot.onError((error) => {
      if (!(error instanceof ConfigValidationError)) return;
      rejected = { version: error.version, revision: error.revision, reason: error.message, at: new Date().toISOString() };
      void write();
    }),
    options.session instanceof SessionKeeper ? options.session.onSession(() => void write()) : () => undefined,
  ];
  void hot.ready.then(
    () => write(),
    () => undefined,
  );

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    clearTimeout(retry);
    for (const off of unsubscribes) off();
    await writing;
    if (writtenOnLease === undefined) return;
    // Only our own report: a successor with the same instance name writes on another lease.
    const bytes = Buffer.from(key);
    await client.kv
      .txn({ compare: [{ key: bytes, target: 'Lease', result: 'Equal', lease: writtenOnLease }], success: [{ request_delete_range: { key: bytes } }] })
      .catch(() => undefined);
  };
  return { flush: () => writing, close, [Symbol.asyncDispose]: close };
}

/** One replica's report as read back; `invalid` when the stored value is malformed. */
export type AppliedEntry =
  | ({ readonly valid: true } & AppliedReport)
  | { readonly valid: false; readonly instance: string; readonly error: string };

/**
 * Every replica's {@link AppliedReport} of a namespace, sorted by instance. A malformed entry
 * (written by hand, another tool) is returned as `valid: false` with the reason: never hidden,
 * never a crash.
 */
export async function listApplied(options: NamespaceOptions): Promise<AppliedEntry[]> {
  throwIfAborted(options.signal);
  const ns = ConfigNamespace.parse(options.namespace, options.root);
  const prefix = Buffer.from(ns.appliedPrefix);
  let res;
  try {
    res = await options.client.kv.range({ key: prefix, range_end: prefixRangeEnd(prefix) });
  } catch (error) {
    throw toEtcdError(error, `reading the applied reports of ${ns.name}`);
  }
  const entries = res.kvs.map(toKeyValue).map((kv): AppliedEntry => {
    const instance = safeDecode(kv.key.slice(ns.appliedPrefix.length));
    try {
      const parsed = reportSchema.safeParse(JSON.parse(kv.value.toString('utf8')));
      if (parsed.success) return { valid: true, ...parsed.data };
      return { valid: false, instance, error: parsed.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ') };
    } catch {
      return { valid: false, instance, error: 'not JSON' };
    }
  });
  return entries.sort((a, b) => (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : 0));
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
