import { EtcdPatternsError, toEtcdError, watchPrefix, type Etcd3, type KeyValue } from '@etcd-patterns/etcd';
import type { z } from 'zod';
import { diffDocuments, type ConfigDiff } from './diff';
import type { ConfigDocument, JsonValue } from './document';
import { ConfigError, type ConfigErrorCode } from './errors';
import { ChangeQueue } from './internal/change-queue';
import { assembleLive, type LiveState } from './internal/live-state';
import { recordConfigApplied, recordConfigRejected } from './internal/metrics';
import { validateWith } from './internal/validate';
import { ConfigNamespace } from './namespace';
import { decodeMeta, type ConfigMeta } from './records';

/** Where an applied value came from. */
export type ConfigChangeSource =
  /** A `publish` (the settings match `_meta`'s checksum). */
  | 'publish'
  /** A `rollback` to an older version (`_meta.rollbackOf` is set). */
  | 'rollback'
  /** Keys written without `publish` (etcdctl, etcdkeeper), valid for the schema. */
  | 'out-of-band'
  /** `defaultValue`, because nothing is published. */
  | 'default';

/** One applied change of a {@link HotConfig}. */
export interface ConfigChange<T> {
  /** The new value, parsed by the schema. */
  readonly value: T;
  /** The value it replaced (undefined for the first). */
  readonly previous: T | undefined;
  /** The raw document the value was parsed from. */
  readonly document: ConfigDocument;
  /** Settings added, removed and changed relative to the previous document. */
  readonly diff: ConfigDiff;
  /** Config version (`_meta.version`; 0 for a default or for settings without any publish). */
  readonly version: number;
  /** The etcd revision at which this state was seen. */
  readonly revision: number;
  /** `_meta` of the live version, when there is one. */
  readonly meta: ConfigMeta | undefined;
  /** See {@link ConfigChangeSource}. */
  readonly source: ConfigChangeSource;
}

/** Lifecycle of a {@link HotConfig}. */
export type HotConfigStatus =
  /** Waiting for the first valid value. */
  | 'starting'
  /** A valid value is applied; changes are being watched. */
  | 'live'
  /** The watch ended with a non-retryable error (permission denied, bad credentials). */
  | 'failed'
  /** `close()` was called or the signal fired. */
  | 'closed';

/**
 * A typed configuration that follows etcd. Iterating it (`for await`) yields every change
 * applied after the iteration started; the loop ends on `close()` and throws when the watch
 * fails. Implements `AsyncDisposable`.
 */
export interface HotConfig<T> extends AsyncIterable<ConfigChange<T>>, AsyncDisposable {
  /**
   * The last valid value. @throws {ConfigError} `CONFIG_NOT_READY` before {@link ready}.
   */
  readonly current: T;
  /** Version of {@link current} (0 before the first value). */
  readonly version: number;
  /** The last applied change, or undefined before the first. */
  readonly lastChange: ConfigChange<T> | undefined;
  /**
   * Resolves with the first valid value. Rejects when the watch fails first (e.g.
   * `ETCD_PERMISSION_DENIED`) or with `CONFIG_CLOSED` when closed first. Never rejects unhandled.
   */
  readonly ready: Promise<T>;
  /** See {@link HotConfigStatus}. */
  readonly status: HotConfigStatus;
  /** The last error reported (invalid change, watch failure), if any. */
  readonly lastError: EtcdPatternsError | undefined;
  /**
   * Calls `listener` with each applied change (never synchronously from `subscribe`, never
   * after `close()`). A throwing listener is reported as `CONFIG_LISTENER_FAILED` and does not
   * affect others. Returns the unsubscribe function.
   */
  subscribe(listener: (change: ConfigChange<T>) => void): () => void;
  /**
   * Calls `listener` with every problem: a change refused by the schema
   * ({@link ConfigValidationError}), settings that cannot be put back together, an
   * out-of-band change refused, a failing subscriber, and the final watch error. Returns the
   * unsubscribe function. With no error listener at all, problems go to `process.emitWarning`.
   */
  onError(listener: (error: EtcdPatternsError) => void): () => void;
  /** Stops watching; pending iterations end. Idempotent; resolves when the stream is released. */
  close(): Promise<void>;
}

/** Options for {@link watchConfig}. */
export interface WatchConfigOptions<S extends z.ZodType> {
  /** An etcd client (from `createEtcdClient`); it is not closed by the hot config. */
  readonly client: Etcd3;
  /** `env/app` or a {@link ConfigNamespace}. */
  readonly namespace: string | ConfigNamespace;
  /** Root prefix, default `/config`. */
  readonly root?: string;
  /** Every value is parsed with it; a document it refuses is never applied. */
  readonly schema: S;
  /** Closes the hot config when it fires. */
  readonly signal?: AbortSignal;
  /** Registered as the first {@link HotConfig.onError} listener. */
  readonly onError?: (error: EtcdPatternsError) => void;
  /**
   * What to do when the live keys were written without `publish` (their checksum does not match
   * `_meta`): `'apply'` (default) validates and applies them like a publish, with source
   * `'out-of-band'`; `'reject'` keeps the last value and reports `CONFIG_OUT_OF_BAND`.
   */
  readonly outOfBand?: 'apply' | 'reject';
  /** Applied (after validation) when nothing is published yet, so `ready` resolves at once. */
  readonly defaultValue?: z.input<S>;
}

/**
 * Watches a namespace and keeps a typed, validated value of its configuration.
 *
 * Built on `watchPrefix` over the live prefix: the first value comes from a snapshot, each
 * later etcd revision is evaluated whole, so a publish (one transaction) is applied entirely
 * or not at all. The settings are put back together, checked against `_meta`'s checksum
 * (see `outOfBand`), parsed with `schema`, and applied only if valid: an invalid change is
 * reported through {@link HotConfig.onError} and the last good value stays until a valid
 * change arrives. Dropped streams, etcd restarts and compaction are handled by `watchPrefix`:
 * changes made while disconnected are applied on reconnect (the intermediate ones collapse
 * into the latest state after a compaction). Non-retryable failures (permission denied, bad
 * credentials) end the watch: status `failed`, `ready` rejects, iterations throw.
 *
 * **Metrics** (OpenTelemetry, no-ops without a MeterProvider): each applied change counts into
 * `etcd_patterns.config.applied` and sets the gauge `etcd_patterns.config.version`; each refused
 * one counts into `etcd_patterns.config.rejected` (by error code), all by `config.namespace`.
 *
 * Starts watching immediately; await {@link HotConfig.ready} for the first value.
 * @throws {ConfigError} `CONFIG_INVALID_NAMESPACE` synchronously for a malformed namespace.
 */
export function watchConfig<S extends z.ZodType>(options: WatchConfigOptions<S>): HotConfig<z.output<S>> {
  const hot = new WatchedConfig<S>(ConfigNamespace.parse(options.namespace, options.root), options);
  hot.start();
  return hot;
}

interface Applied<T> {
  readonly change: ConfigChange<T>;
  readonly canonical: string;
}

class WatchedConfig<S extends z.ZodType> implements HotConfig<z.output<S>> {
  private readonly kvs = new Map<string, KeyValue>();
  private readonly parsed = new WeakMap<KeyValue, JsonValue>();
  private readonly metas = new WeakMap<KeyValue, ConfigMeta>();
  private readonly listeners = new Set<(change: ConfigChange<z.output<S>>) => void>();
  private readonly errorListeners = new Set<(error: EtcdPatternsError) => void>();
  private readonly queues = new Set<ChangeQueue<ConfigChange<z.output<S>>>>();
  private readonly controller = new AbortController();
  private applied: Applied<z.output<S>> | undefined;
  private loop: Promise<void> = Promise.resolve();
  private resolveReady!: (value: z.output<S>) => void;
  private rejectReady!: (error: unknown) => void;
  private readySettled = false;
  status: HotConfigStatus = 'starting';
  lastError: EtcdPatternsError | undefined;
  readonly ready: Promise<z.output<S>>;

  constructor(
    private readonly ns: ConfigNamespace,
    private readonly options: WatchConfigOptions<S>,
  ) {
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined);
    if (options.onError) this.errorListeners.add(options.onError);
  }

  /** @internal Starts the watch loop (kept out of the constructor). */
  start(): void {
    this.loop = this.run();
  }

  get current(): z.output<S> {
    if (!this.applied) throw new ConfigError('CONFIG_NOT_READY', `config ${this.ns.name} has no valid value yet (await ready)`);
    return this.applied.change.value;
  }

  get version(): number {
    return this.applied?.change.version ?? 0;
  }

  get lastChange(): ConfigChange<z.output<S>> | undefined {
    return this.applied?.change;
  }

  subscribe(listener: (change: ConfigChange<z.output<S>>) => void): () => void {
    const wrapped = (change: ConfigChange<z.output<S>>): void => listener(change);
    this.listeners.add(wrapped);
    return () => void this.listeners.delete(wrapped);
  }

  onError(listener: (error: EtcdPatternsError) => void): () => void {
    const wrapped = (error: EtcdPatternsError): void => listener(error);
    this.errorListeners.add(wrapped);
    return () => void this.errorListeners.delete(wrapped);
  }

  [Symbol.asyncIterator](): AsyncIterator<ConfigChange<z.output<S>>> {
    const queue = new ChangeQueue<ConfigChange<z.output<S>>>((q) => this.queues.delete(q));
    if (this.status === 'closed' || this.status === 'failed') queue.end(this.status === 'failed' ? this.lastError : undefined);
    else this.queues.add(queue);
    return queue;
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.loop;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async run(): Promise<void> {
    const signal = this.options.signal ? AbortSignal.any([this.options.signal, this.controller.signal]) : this.controller.signal;
    try {
      for await (const message of watchPrefix(this.options.client, this.ns.livePrefix, { signal })) {
        if (signal.aborted) break; // closed while this message was in flight: apply nothing more
        if (message.kind === 'events') {
          for (const event of message.events) {
            if (event.type === 'put') this.kvs.set(event.kv.key, event.kv);
            else this.kvs.delete(event.kv.key);
          }
        } else {
          if (message.kind === 'reconcile' && message.events.length === 0) continue;
          this.kvs.clear();
          for (const kv of message.kvs) this.kvs.set(kv.key, kv);
        }
        this.evaluate(message.revision);
      }
    } catch (error) {
      if (!signal.aborted) {
        const e = toEtcdError(error);
        this.fail(new EtcdPatternsError(e.code, `watching config ${this.ns.name} (${this.ns.livePrefix}) failed: ${e.message}`, { cause: e, retryable: e.retryable }));
        return;
      }
    }
    this.finish();
  }

  private evaluate(revision: number): void {
    let live: LiveState;
    try {
      live = assembleLive(
        this.ns,
        this.kvs.values(),
        (kv) => this.parse(kv),
        (kv) => this.readMeta(kv),
      );
    } catch (error) {
      this.reject(this.refused(toEtcdError(error), revision));
      return;
    }
    const version = live.meta?.version ?? 0;
    if (live.empty) {
      if (this.applied === undefined && this.options.defaultValue !== undefined) {
        this.validateAndApply(this.options.defaultValue as ConfigDocument, '', 0, revision, undefined, 'default');
      } else if (this.applied !== undefined && this.applied.change.source !== 'default') {
        this.reject(new ConfigError('CONFIG_NOT_FOUND', `config ${this.ns.name}: every key was deleted at revision ${revision}; keeping version ${this.version}`));
      }
      return;
    }
    if (live.drift && this.options.outOfBand === 'reject') {
      this.reject(
        new ConfigError('CONFIG_OUT_OF_BAND', `config ${this.ns.name}: the settings at revision ${revision} were written without publish (they do not match version ${version}); keeping version ${this.version}`),
      );
      return;
    }
    const source: ConfigChangeSource = live.drift ? 'out-of-band' : live.meta?.rollbackOf !== undefined ? 'rollback' : 'publish';
    const current = this.applied;
    if (current && current.canonical === live.canonical && current.change.version === version && current.change.source === source) return;
    this.validateAndApply(live.document, live.canonical, version, revision, live.meta, source);
  }

  private validateAndApply(
    document: ConfigDocument,
    canonical: string,
    version: number,
    revision: number,
    meta: ConfigMeta | undefined,
    source: ConfigChangeSource,
  ): void {
    const what = source === 'default' ? 'the default value' : source === 'out-of-band' ? `an out-of-band change at revision ${revision}` : `version ${version}`;
    const checked = validateWith(
      this.options.schema,
      document,
      `config ${this.ns.name}: ${what} does not match the schema${this.applied ? `; keeping version ${this.version}` : ''}`,
      version,
      revision,
    );
    if (!checked.ok) {
      this.reject(checked.error);
      return;
    }
    const previous = this.applied?.change;
    let diff: ConfigDiff | undefined;
    const previousDocument = previous?.document; // not `previous`: changes must not chain
    const change: ConfigChange<z.output<S>> = {
      value: checked.value,
      previous: previous?.value,
      document,
      // Computed on first use: most subscribers only read `value`.
      get diff(): ConfigDiff {
        return (diff ??= diffDocuments(previousDocument, document));
      },
      version,
      revision,
      meta,
      source,
    };
    this.applied = { change, canonical };
    this.status = 'live';
    recordConfigApplied(this.ns.name, version, source);
    if (!this.readySettled) {
      this.readySettled = true;
      this.resolveReady(change.value);
    }
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (error) {
        this.report(new ConfigError('CONFIG_LISTENER_FAILED', `a subscriber of config ${this.ns.name} threw`, { cause: error }));
      }
    }
    for (const queue of this.queues) queue.push(change);
  }

  private parse(kv: KeyValue): JsonValue {
    let value = this.parsed.get(kv);
    if (value === undefined) {
      value = JSON.parse(kv.value.toString('utf8')) as JsonValue;
      this.parsed.set(kv, value);
    }
    return value;
  }

  private readMeta(kv: KeyValue): ConfigMeta {
    let meta = this.metas.get(kv);
    if (meta === undefined) {
      meta = decodeMeta(kv.value, kv.key);
      this.metas.set(kv, meta);
    }
    return meta;
  }

  private refused(error: EtcdPatternsError, revision: number): EtcdPatternsError {
    const keeping = this.applied ? `; keeping version ${this.version}` : '';
    return new ConfigError(error.code as ConfigErrorCode, `config ${this.ns.name} at revision ${revision} cannot be read${keeping}: ${error.message}`, { cause: error });
  }

  // A change refused (the last value stays): counted, then reported.
  private reject(error: EtcdPatternsError): void {
    recordConfigRejected(this.ns.name, error.code);
    this.report(error);
  }

  private report(error: EtcdPatternsError): void {
    this.lastError = error;
    if (this.errorListeners.size === 0) {
      process.emitWarning(error);
      return;
    }
    for (const listener of this.errorListeners) {
      try {
        listener(error);
      } catch {
        // An error listener that throws has nowhere left to report to.
      }
    }
  }

  private fail(error: EtcdPatternsError): void {
    this.status = 'failed';
    this.report(error);
    if (!this.readySettled) {
      this.readySettled = true;
      this.rejectReady(error);
    }
    for (const queue of this.queues) queue.end(error);
    this.queues.clear();
    this.listeners.clear();
  }

  private finish(): void {
    this.status = 'closed';
    if (!this.readySettled) {
      this.readySettled = true;
      this.rejectReady(new ConfigError('CONFIG_CLOSED', `config ${this.ns.name} was closed before a valid value arrived`));
    }
    for (const queue of this.queues) queue.end();
    this.queues.clear();
    this.listeners.clear();
  }
}
