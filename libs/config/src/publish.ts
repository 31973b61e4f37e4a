import { randomUUID } from 'node:crypto';
import {
  abortableSleep,
  Backoff,
  EtcdPatternsError,
  prefixRangeEnd,
  throwIfAborted,
  toEtcdError,
  toKeyValue,
  type Etcd3,
  type KeyValue,
} from '@etcd-patterns/etcd';
import type { ICompare, IRequestOp, ITxnRequest } from 'etcd3';
import type { z } from 'zod';
import { diffDocuments, type ConfigDiff } from './diff';
import { assertConfigDocument, documentChecksum, flattenDocument, type ConfigDocument } from './document';
import { ConfigConflictError, ConfigError, ConfigTooLargeError } from './errors';
import { assembleLive, type LiveState } from './internal/live-state';
import { DEFAULT_MAX_REQUEST_BYTES, REQUEST_OVERHEAD_BYTES, txnRequestBytes } from './internal/request-size';
import { validateWith } from './internal/validate';
import { ConfigNamespace } from './namespace';
import { decodeMeta, encodeHistory, encodeMeta, type ConfigMeta } from './records';
import { compileJsonSchema, parseStoredSchema, type JsonSchema, type NamespaceOptions } from './schema-store';

/** etcd's default `--max-txn-ops`: the most keys one publish can write. */
const DEFAULT_MAX_TXN_OPS = 128;

/** Options for {@link publish}. */
export interface PublishOptions extends NamespaceOptions {
  /** The new document (a plain JSON object; typically parsed YAML or JSON). */
  readonly document: unknown;
  /**
   * The version this document was based on. When given, the publish is refused with
   * {@link ConfigConflictError} (`CONFIG_CONFLICT`) unless it is still the live version
   * (0: nothing published yet). When left out, the document replaces whatever is live.
   */
  readonly baseVersion?: number;
  /** Who publishes (recorded in the history). */
  readonly author: string;
  /** Why (recorded in the history). Default `''`. */
  readonly message?: string;
  /** A zod schema the document must satisfy (checked before anything is written). */
  readonly schema?: z.ZodType;
  /** Also enforce the namespace's stored JSON Schema, if any (default true). */
  readonly useStoredSchema?: boolean;
  /** How long retryable failures (etcd unavailable) are retried, in ms. Default 15000. */
  readonly retryTimeoutMs?: number;
  /**
   * The cluster's `--max-request-bytes`. A publish whose transaction would be larger (less
   * 1 KiB for etcd's request header) is refused with {@link ConfigTooLargeError}
   * (`CONFIG_TOO_LARGE`) before anything is sent. Default 1.5 MiB, etcd's default; set it
   * when the server's limit differs.
   */
  readonly maxRequestBytes?: number;
}

/** What {@link publish} and {@link rollback} return. */
export interface PublishResult {
  /** `env/app`. */
  readonly namespace: string;
  /** The new version. */
  readonly version: number;
  /** etcd revision of the publish transaction. */
  readonly revision: number;
  /** The meta record written. */
  readonly meta: ConfigMeta;
  /** What changed relative to the live values. */
  readonly diff: ConfigDiff;
}

/** @internal */
export interface PublishExtra {
  readonly rollbackOf?: number;
}

interface ReadState {
  readonly revision: number;
  readonly live: LiveState;
  readonly leafKvs: ReadonlyMap<string, KeyValue>;
  readonly lastHistoryVersion: number;
  readonly storedSchema: JsonSchema | undefined;
}

/**
 * Publishes a document as the namespace's next version, atomically: one etcd transaction
 * (one revision) deletes the settings that are gone, writes the settings that changed, the
 * `_meta` record and the history record (full document, so the version survives compaction).
 * See {@link ConfigNamespace} for the key layout.
 *
 * **Concurrency.** The transaction only commits if `_meta` and the settings are unchanged
 * since they were read and the history slot is free; otherwise it is re-read and retried
 * (with `baseVersion` the re-read then fails with `CONFIG_CONFLICT` when someone else
 * published). **Retries.** A write that fails with `ETCD_UNAVAILABLE` may have been applied;
 * every publish carries a random `publishId` in `_meta`, so the retry first reads `_meta` and
 * reports success if its own publish is live, and never publishes twice.
 *
 * Limits: etcd's `--max-txn-ops` (default 128) bounds the settings one publish can change
 * (changed + removed + 2); `--max-request-bytes` (default 1.5 MiB) bounds the size (the
 * document is written twice: settings and history). Raise them on the server for bigger configs.
 * The size is checked before sending (option `maxRequestBytes`): a transaction above it is
 * refused with `CONFIG_TOO_LARGE` and nothing is written.
 *
 * @throws {ConfigError} `CONFIG_INVALID_DOCUMENT`, `CONFIG_VALIDATION_FAILED`
 *   ({@link ConfigValidationError}), `CONFIG_CONFLICT` ({@link ConfigConflictError}),
 *   `CONFIG_CORRUPT`, `CONFIG_TOO_LARGE` ({@link ConfigTooLargeError}: before sending, or when
 *   etcd refuses the size); {@link EtcdPatternsError} `ETCD_PERMISSION_DENIED`, `ETCD_AUTH_FAILED`,
 *   `ETCD_UNAVAILABLE` (after `retryTimeoutMs`; the publish may then have been applied, its
 *   `publishId` is in the message), `ETCD_INVALID_ARGUMENT` (too many changes for the server's
 *   limits), `ABORTED`.
 */
export function publish(options: PublishOptions): Promise<PublishResult> {
  return publishDocument(options, {});
}

/** @internal {@link publish} with extra meta fields (used by rollback). */
export async function publishDocument(options: PublishOptions, extra: PublishExtra): Promise<PublishResult> {
  throwIfAborted(options.signal);
  const ns = ConfigNamespace.parse(options.namespace, options.root);
  const document = assertConfigDocument(options.document);
  if (options.baseVersion !== undefined && !(Number.isInteger(options.baseVersion) && options.baseVersion >= 0)) {
    throw new ConfigError('CONFIG_INVALID_DOCUMENT', `baseVersion must be a non-negative integer, got ${options.baseVersion}`);
  }
  if (options.schema) {
    const checked = validateWith(options.schema, document, `config ${ns.name} does not match its schema`);
    if (!checked.ok) throw checked.error;
  }
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  if (!(Number.isInteger(maxRequestBytes) && maxRequestBytes > REQUEST_OVERHEAD_BYTES)) {
    throw new ConfigError('CONFIG_INVALID_DOCUMENT', `maxRequestBytes must be an integer above ${REQUEST_OVERHEAD_BYTES}, got ${maxRequestBytes}`);
  }
  const limitBytes = maxRequestBytes - REQUEST_OVERHEAD_BYTES;
  // Every publish sends the full document (its history record): one that alone is too large
  // is refused before any request. The exact size, which depends on what changed, is checked
  // before the write below.
  const documentBytes = Buffer.byteLength(JSON.stringify(document));
  if (documentBytes > limitBytes) throw new ConfigTooLargeError(ns.name, documentBytes, limitBytes, 'client');
  const { client, signal } = options;
  const publishId = randomUUID();
  const deadline = Date.now() + (options.retryTimeoutMs ?? 15_000);
  const backoff = new Backoff({ initialMs: 100, maxMs: 1000 });
  let sent = false; // a transaction may have been applied without us hearing back
  let lastError: EtcdPatternsError | undefined;
  let lastDiff: ConfigDiff | undefined;
  let lastSeenVersion = 0;
  let confirmConflict = false;

  for (let attempt = 0; ; attempt++) {
    throwIfAborted(signal);
    if (attempt > 0 && Date.now() > deadline) {
      if (lastError === undefined) throw new ConfigConflictError(options.baseVersion ?? lastSeenVersion, lastSeenVersion, ns.name);
      const note = sent ? ` (publish ${publishId} may have been applied: check the history)` : '';
      throw new EtcdPatternsError(lastError?.code ?? 'ETCD_UNAVAILABLE', `publishing ${ns.name} failed${note}: ${lastError?.message ?? 'conflicts'}`, {
        cause: lastError,
        retryable: true,
      });
    }
    let state: ReadState;
    // The first read is served by the local member (serializable: no consensus round). If it
    // is stale, the transaction's compares fail and every later read is linearizable.
    const serializable = attempt === 0 && !confirmConflict;
    try {
      state = await readState(client, ns, serializable);
    } catch (error) {
      lastError = toEtcdError(error, `reading ${ns.name}`);
      if (!lastError.retryable) throw lastError;
      await abortableSleep(backoff.next(), signal);
      continue;
    }
    const { live } = state;
    if (live.meta?.publishId === publishId) {
      return { namespace: ns.name, version: live.meta.version, revision: live.metaRevision, meta: live.meta, diff: lastDiff ?? diffDocuments(undefined, {}) };
    }
    const currentVersion = Math.max(live.meta?.version ?? 0, state.lastHistoryVersion);
    lastSeenVersion = currentVersion;
    if (options.baseVersion !== undefined && currentVersion !== options.baseVersion) {
      if (!serializable) throw new ConfigConflictError(options.baseVersion, currentVersion, ns.name);
      confirmConflict = true; // a stale local read must not decide a conflict: read again
      continue;
    }
    if (state.storedSchema && options.useStoredSchema !== false) {
      const schema = compileJsonSchema(state.storedSchema, `the stored schema of ${ns.name}`);
      const checked = validateWith(schema, document, `config ${ns.name} does not match the namespace's stored schema`);
      if (!checked.ok) throw checked.error;
    }

    const version = currentVersion + 1;
    const meta: ConfigMeta = {
      version,
      publishId,
      author: options.author,
      message: options.message ?? '',
      time: new Date().toISOString(),
      checksum: documentChecksum(document),
      leaves: 0,
      baseVersion: currentVersion,
      ...(extra.rollbackOf === undefined ? {} : { rollbackOf: extra.rollbackOf }),
    };
    const { ops, leaves } = writeOps(ns, document, state.leafKvs);
    const finalMeta: ConfigMeta = { ...meta, leaves };
    ops.push(
      { request_put: { key: Buffer.from(ns.metaKey), value: Buffer.from(encodeMeta(finalMeta)) } },
      { request_put: { key: Buffer.from(ns.historyKey(version)), value: Buffer.from(encodeHistory(finalMeta, document)) } },
    );
    const valuesKey = Buffer.from(ns.valuesPrefix);
    const compare: ICompare[] = [
      { key: Buffer.from(ns.metaKey), target: 'Mod', result: 'Equal', mod_revision: live.metaRevision },
      { key: valuesKey, range_end: prefixRangeEnd(valuesKey), target: 'Mod', result: 'Less', mod_revision: state.revision + 1 },
      { key: Buffer.from(ns.historyKey(version)), target: 'Create', result: 'Equal', create_revision: 0 },
    ];
    const txn: ITxnRequest = { compare, success: ops };
    const requestBytes = txnRequestBytes(txn);
    // Refused before anything is sent: no partial write is possible (and none would be: a txn is atomic).
    if (requestBytes > limitBytes) throw new ConfigTooLargeError(ns.name, requestBytes, limitBytes, 'client');
    const diff = diffDocuments(live.document, document);
    try {
      sent = true;
      lastDiff = diff;
      const res = await client.kv.txn(txn);
      if (res.succeeded) {
        return { namespace: ns.name, version, revision: Number(res.header.revision), meta: finalMeta, diff };
      }
      // Someone wrote in between (or our own earlier attempt landed): read again.
      lastError = undefined;
    } catch (error) {
      lastError = toEtcdError(error, `publishing ${ns.name}`);
      if (!lastError.retryable) {
        if (lastError.code === 'ETCD_REQUEST_TOO_LARGE') throw new ConfigTooLargeError(ns.name, requestBytes, limitBytes, 'etcd', { cause: lastError });
        if (lastError.code === 'ETCD_INVALID_ARGUMENT' && ops.length > DEFAULT_MAX_TXN_OPS) {
          throw new EtcdPatternsError(
            'ETCD_INVALID_ARGUMENT',
            `publishing ${ns.name} needs ${ops.length} writes in one transaction; etcd refused it (raise the server's --max-txn-ops / --max-request-bytes): ${lastError.message}`,
            { cause: lastError },
          );
        }
        throw lastError;
      }
      await abortableSleep(backoff.next(), signal);
    }
  }
}

function writeOps(ns: ConfigNamespace, document: ConfigDocument, current: ReadonlyMap<string, KeyValue>): { ops: IRequestOp[]; leaves: number } {
  const ops: IRequestOp[] = [];
  const leaves = flattenDocument(document);
  const wanted = new Set<string>();
  for (const [path, value] of leaves) {
    const key = ns.valuesPrefix + path;
    wanted.add(key);
    const encoded = JSON.stringify(value);
    if (current.get(key)?.value.toString('utf8') !== encoded) {
      ops.push({ request_put: { key: Buffer.from(key), value: Buffer.from(encoded) } });
    }
  }
  for (const key of current.keys()) {
    if (!wanted.has(key)) ops.push({ request_delete_range: { key: Buffer.from(key) } });
  }
  return { ops, leaves: leaves.size };
}

async function readState(client: Etcd3, ns: ConfigNamespace, serializable: boolean): Promise<ReadState> {
  const live = Buffer.from(ns.livePrefix);
  const history = Buffer.from(ns.historyPrefix);
  // One read-only transaction: one consistent revision for everything (and retried by the client).
  const res = await client.kv.txn({
    success: [
      { request_range: { key: live, range_end: prefixRangeEnd(live), serializable } },
      { request_range: { key: history, range_end: prefixRangeEnd(history), sort_order: 'Descend', sort_target: 'Key', limit: 1, keys_only: true, serializable } },
      { request_range: { key: Buffer.from(ns.schemaKey), serializable } },
    ],
  });
  const [liveRes, historyRes, schemaRes] = res.responses.map((r) => r.response_range.kvs.map(toKeyValue));
  const kvs = liveRes ?? [];
  const leafKvs = new Map(kvs.filter((kv) => kv.key.startsWith(ns.valuesPrefix)).map((kv) => [kv.key, kv]));
  const lastKey = historyRes?.[0]?.key;
  const lastHistoryVersion = lastKey === undefined ? 0 : Number(lastKey.slice(ns.historyPrefix.length)) || 0;
  const schemaKv = schemaRes?.[0];
  return {
    revision: Number(res.header.revision),
    live: assembleLiveForPublish(ns, kvs),
    leafKvs,
    lastHistoryVersion,
    storedSchema: schemaKv ? parseStoredSchema(schemaKv.value, schemaKv.key) : undefined,
  };
}

/**
 * A publish replaces the values whatever they hold: unreadable settings are overwritten, and
 * an unreadable `_meta` is replaced (its version then comes from the history).
 */
function assembleLiveForPublish(ns: ConfigNamespace, kvs: readonly KeyValue[]): LiveState {
  const metaKv = kvs.find((kv) => kv.key === ns.metaKey);
  let meta: ConfigMeta | undefined;
  try {
    meta = metaKv ? decodeMeta(metaKv.value, metaKv.key) : undefined;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
  }
  const values = kvs.filter((kv) => kv.key !== ns.metaKey);
  let document: ConfigDocument = {};
  try {
    document = assembleLive(ns, values).document;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
  }
  return { document, canonical: '', meta, metaRevision: metaKv?.modRevision ?? 0, drift: false, empty: kvs.length === 0 };
}
