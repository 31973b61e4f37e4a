import { prefixRangeEnd, throwIfAborted, toEtcdError, toKeyValue } from '@etcd-patterns/etcd';
import { diffDocuments, type ConfigDiff } from './diff';
import { ConfigError } from './errors';
import { ConfigNamespace } from './namespace';
import { publishDocument, type PublishOptions, type PublishResult } from './publish';
import { decodeHistory, decodeHistoryInfo, type ConfigVersion, type ConfigVersionInfo } from './records';
import type { NamespaceOptions } from './schema-store';

/** Options for {@link listVersions}. */
export interface ListVersionsOptions extends NamespaceOptions {
  /** At most this many versions, newest first. Default: all. */
  readonly limit?: number;
}

// grpc-js refuses responses above 4 MiB: history records carry whole documents (up to about
// 1.5 MiB each), so the history is read in pages sized to stay well under that.
const PAGE_BYTES = 3 * 1024 * 1024;
const FIRST_PAGE = 16;
const MAX_PAGE = 1000;

/**
 * The versions of a namespace, newest first, read from the history records (which survive
 * compaction). An empty list when nothing was published. Read in pages of at most about 3 MiB
 * (gRPC's 4 MiB response limit), so any number of versions of any size can be listed.
 *
 * The pages after the first are read at the first page's revision, so the list is one
 * consistent view even when versions are published or pruned meanwhile, and served by the
 * member without another round through the leader (serializable; a member behind that
 * revision makes the page be read again, linearizably). Should that revision be compacted
 * before the last page, the rest is read at the latest revision.
 *
 * Without `limit` the pages are read oldest first and the list reversed: etcd sorts a
 * descending range in memory after reading the whole range, so descending pages would read
 * the rest of the history once per page; ascending ones read each record once.
 * @throws {ConfigError} `CONFIG_CORRUPT`; `ETCD_*` errors from etcd.
 */
export async function listVersions(options: ListVersionsOptions): Promise<ConfigVersionInfo[]> {
  throwIfAborted(options.signal);
  const ns = ConfigNamespace.parse(options.namespace, options.root);
  const prefix = Buffer.from(ns.historyPrefix);
  const wanted = options.limit ?? 0;
  const newestFirst = wanted > 0;
  const out: ConfigVersionInfo[] = [];
  // The range still to read: [start, end).
  let start = prefix;
  let end = prefixRangeEnd(prefix);
  let page = FIRST_PAGE;
  // After the first page: its revision, and whether this member may serve it alone.
  let pinned: { revision: string; serializable: boolean } | undefined;
  for (;;) {
    throwIfAborted(options.signal);
    const limit = newestFirst ? Math.min(page, wanted - out.length) : page;
    let res;
    try {
      res = await options.client.kv.range({
        key: start,
        range_end: end,
        limit,
        ...(newestFirst ? { sort_order: 'Descend', sort_target: 'Key' } : {}),
        ...(pinned ? { revision: pinned.revision, serializable: pinned.serializable } : {}),
      });
    } catch (error) {
      const e = toEtcdError(error, `listing the versions of ${ns.name}`);
      if (e.code === 'ETCD_RESPONSE_TOO_LARGE' && limit > 1) {
        page = Math.max(1, Math.floor(limit / 4));
        continue;
      }
      // OUT_OF_RANGE: this member is behind the pinned revision, or it was compacted.
      if (e.code === 'ETCD_COMPACTED' && pinned) {
        pinned = pinned.serializable ? { ...pinned, serializable: false } : undefined;
        continue;
      }
      throw e;
    }
    pinned ??= { revision: String(res.header.revision), serializable: true };
    let bytes = 0;
    for (const raw of res.kvs) {
      bytes += raw.value.length;
      out.push(decodeHistoryInfo(raw.value, raw.key.toString(), Number(raw.mod_revision)));
    }
    if (!res.more || res.kvs.length === 0 || (newestFirst && out.length >= wanted)) return newestFirst ? out : out.reverse();
    const last = res.kvs[res.kvs.length - 1]!.key;
    if (newestFirst) end = last; // exclusive: the next page starts below it
    else start = Buffer.concat([last, Buffer.from([0])]); // the next key after it
    page = Math.max(1, Math.min(MAX_PAGE, Math.floor(PAGE_BYTES / Math.max(1, bytes / res.kvs.length))));
  }
}

/** Options for {@link showVersion}. */
export interface ShowVersionOptions extends NamespaceOptions {
  /** The version to read. */
  readonly version: number;
}

/**
 * One version with its full document.
 * @throws {ConfigError} `CONFIG_NOT_FOUND` when there is no such version; `CONFIG_CORRUPT`;
 *   `ETCD_*` errors from etcd.
 */
export async function showVersion(options: ShowVersionOptions): Promise<ConfigVersion> {
  throwIfAborted(options.signal);
  const ns = ConfigNamespace.parse(options.namespace, options.root);
  if (!Number.isInteger(options.version) || options.version < 1) {
    throw new ConfigError('CONFIG_NOT_FOUND', `config ${ns.name} has no version ${options.version} (versions start at 1)`);
  }
  const key = ns.historyKey(options.version);
  let res;
  try {
    res = await options.client.kv.range({ key: Buffer.from(key) });
  } catch (error) {
    throw toEtcdError(error, `reading version ${options.version} of ${ns.name}`);
  }
  const kv = res.kvs[0];
  if (!kv) throw new ConfigError('CONFIG_NOT_FOUND', `config ${ns.name} has no version ${options.version}`);
  const record = toKeyValue(kv);
  return decodeHistory(record.value, record.key, record.modRevision);
}

/** Options for {@link diffVersions}. */
export interface DiffVersionsOptions extends NamespaceOptions {
  /** The older side. */
  readonly from: number;
  /** The newer side. */
  readonly to: number;
}

/**
 * Structured differences between two versions (settings added, removed, changed).
 * @throws as {@link showVersion}.
 */
export async function diffVersions(options: DiffVersionsOptions): Promise<ConfigDiff> {
  const [from, to] = await Promise.all([
    showVersion({ ...options, version: options.from }),
    showVersion({ ...options, version: options.to }),
  ]);
  return diffDocuments(from.document, to.document);
}

/** Options for {@link rollback}. */
export interface RollbackOptions extends Omit<PublishOptions, 'document' | 'message'> {
  /** The version whose document becomes live again. */
  readonly version: number;
  /** Default `rollback to version N`. */
  readonly message?: string;
}

/**
 * Re-publishes an old version's exact document as a new version (history is never rewritten;
 * the new version records `rollbackOf`). Validated like any publish, so a version that no
 * longer matches the schema is refused.
 * @throws as {@link showVersion} and {@link publish}.
 */
export async function rollback(options: RollbackOptions): Promise<PublishResult> {
  const old = await showVersion(options);
  return publishDocument(
    { ...options, document: old.document, message: options.message ?? `rollback to version ${options.version}` },
    { rollbackOf: options.version },
  );
}

/** Options for {@link pruneHistory}. */
export interface PruneHistoryOptions extends NamespaceOptions {
  /** How many of the newest versions to keep (at least 1). */
  readonly keepVersions: number;
}

/**
 * Deletes history records older than the newest `keepVersions` (one etcd delete-range). The
 * live settings are never touched, and version numbers keep counting from the newest record.
 * @returns the number of records deleted.
 * @throws {ConfigError} `CONFIG_INVALID_DOCUMENT` when `keepVersions` < 1; `ETCD_*` errors.
 */
export async function pruneHistory(options: PruneHistoryOptions): Promise<number> {
  throwIfAborted(options.signal);
  const ns = ConfigNamespace.parse(options.namespace, options.root);
  if (!Number.isInteger(options.keepVersions) || options.keepVersions < 1) {
    throw new ConfigError('CONFIG_INVALID_DOCUMENT', `keepVersions must be a positive integer, got ${options.keepVersions}`);
  }
  const [newest] = await listVersionNumbers(options, ns, 1);
  if (newest === undefined || newest <= options.keepVersions) return 0;
  const cut = newest - options.keepVersions + 1; // first version kept
  try {
    const res = await options.client.kv.deleteRange({ key: Buffer.from(ns.historyPrefix), range_end: Buffer.from(ns.historyKey(cut)) });
    return Number(res.deleted);
  } catch (error) {
    throw toEtcdError(error, `pruning the history of ${ns.name}`);
  }
}

async function listVersionNumbers(options: NamespaceOptions, ns: ConfigNamespace, limit: number): Promise<number[]> {
  const prefix = Buffer.from(ns.historyPrefix);
  try {
    const res = await options.client.kv.range({ key: prefix, range_end: prefixRangeEnd(prefix), sort_order: 'Descend', sort_target: 'Key', limit, keys_only: true });
    return res.kvs.map((kv) => Number(kv.key.toString('utf8').slice(ns.historyPrefix.length)));
  } catch (error) {
    throw toEtcdError(error, `listing the versions of ${ns.name}`);
  }
}
