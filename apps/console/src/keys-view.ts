import type { ImportResult, KeyEntry, KeyExport, KeyListView, KeyValueView, KeyWriteResult } from '@etcd-patterns/console-contract';
import { isEtcdPatternsError, toKeyValue, type Etcd3, type KeyValue } from '@etcd-patterns/etcd';
import type { IRequestOp, ICompare } from 'etcd3';
import { parseDocument, isMap, isSeq } from 'yaml';
import { ApiException, consoleEtcdError, notFound } from './api-error';
import { keyAfter, prefixRange } from './key-scan';
import { leaseHex } from './lease-ttl';

/** Most child folders a listing reports. */
export const MAX_CHILDREN = 500;
/** Most range calls spent finding child folders (each skips a whole folder). */
const MAX_CHILD_CALLS = 200;
/** Bytes shown as a hex dump for a binary value. */
export const HEX_DUMP_BYTES = 64 * 1024;
/** Earlier revisions of a value walked back at most. */
export const MAX_HISTORY = 50;
/** Puts per import transaction (etcd's default `--max-txn-ops`). */
export const IMPORT_BATCH = 128;

function entryOf(kv: KeyValue, size?: number): KeyEntry {
  return { key: kv.key, createRevision: kv.createRevision, modRevision: kv.modRevision, version: kv.version, leaseId: leaseHex(kv.lease), ...(size === undefined ? {} : { size }) };
}

/** Options of {@link listKeys}. */
export interface ListKeysOptions {
  readonly prefix: string;
  /** Keep keys containing this text (case-insensitive). */
  readonly search?: string;
  readonly limit: number;
  /** Continue after this key (the `next` of the previous page). */
  readonly after?: string;
}

/**
 * A page of keys under a prefix, keys only (values are never read for a listing), in etcd's key
 * order, and the prefix's child folders. With `search`, keys are scanned page by page (keys
 * only) until `limit` matches are found or the prefix ends; `next` continues the scan.
 */
export async function listKeys(client: Etcd3, options: ListKeysOptions): Promise<KeyListView> {
  const { key: start, rangeEnd } = prefixRange(options.prefix);
  let from = options.after !== undefined && options.after >= options.prefix ? keyAfter(options.after) : start;
  const needle = options.search?.toLowerCase();
  const keys: KeyEntry[] = [];
  let revision: number | undefined;
  let next: string | undefined;
  for (let calls = 0; ; calls++) {
    const pageSize = needle ? 1000 : options.limit + 1;
    let res;
    try {
      res = await client.kv.range({ key: from, range_end: rangeEnd, limit: pageSize, keys_only: true, ...(revision ? { revision } : {}) });
    } catch (error) {
      throw consoleEtcdError(error, `listing ${options.prefix || 'the keyspace'}`);
    }
    revision ??= Number(res.header.revision);
    const kvs = res.kvs.map(toKeyValue);
    let stoppedAt: string | undefined;
    for (const kv of kvs) {
      if (keys.length === options.limit) {
        stoppedAt = keys[keys.length - 1]!.key;
        break;
      }
      if (!needle || kv.key.toLowerCase().includes(needle)) keys.push(entryOf(kv));
    }
    if (stoppedAt !== undefined) {
      next = stoppedAt;
      break;
    }
    if (!res.more || kvs.length === 0) break;
    if (!needle) {
      // limit + 1 asked and not all fitted: the page is full.
      next = keys[keys.length - 1]?.key;
      break;
    }
    // Searching: give up after 50 pages (50000 keys) and hand the position on.
    if (calls >= 49) {
      next = kvs[kvs.length - 1]!.key;
      break;
    }
    from = Buffer.concat([res.kvs[res.kvs.length - 1]!.key, Buffer.from([0])]);
  }
  return { revision: revision ?? 0, prefix: options.prefix, keys, ...(next !== undefined ? { next } : {}), children: await childFolders(client, options.prefix, revision) };
}

/**
 * The child "folders" of a prefix: `prefix + segment + "/"` for every key below the prefix
 * with a `/` after it. Each found folder is skipped over in one jump (the next read starts after
 * its range), so a folder with a million keys costs one read.
 */
export async function childFolders(client: Etcd3, prefix: string, revision?: number): Promise<string[]> {
  const { key: start, rangeEnd } = prefixRange(prefix);
  const children: string[] = [];
  let from = start;
  for (let calls = 0; calls < MAX_CHILD_CALLS && children.length < MAX_CHILDREN; calls++) {
    let res;
    try {
      res = await client.kv.range({ key: from, range_end: rangeEnd, limit: 200, keys_only: true, ...(revision ? { revision } : {}) });
    } catch (error) {
      throw consoleEtcdError(error, `listing the folders of ${prefix || 'the keyspace'}`);
    }
    let jumped = false;
    for (const raw of res.kvs) {
      const key = raw.key.toString('utf8');
      const slash = key.indexOf('/', prefix.length);
      if (slash < 0) continue; // a key directly under the prefix
      const folder = key.slice(0, slash + 1);
      if (children[children.length - 1] === folder) continue;
      children.push(folder);
      // Jump past everything under this folder.
      from = prefixRange(folder).rangeEnd;
      jumped = true;
      break;
    }
    if (jumped) continue;
    if (!res.more || res.kvs.length === 0) break;
    from = Buffer.concat([res.kvs[res.kvs.length - 1]!.key, Buffer.from([0])]);
  }
  return children;
}

/** `text`, `json`, `yaml` or `binary`, with the pretty form or the hex dump. */
export function classifyValue(value: Buffer): Pick<KeyValueView, 'kind' | 'text' | 'pretty' | 'hex'> {
  const text = value.toString('utf8');
  // eslint-disable-next-line no-control-regex
  const binary = !Buffer.from(text, 'utf8').equals(value) || /[\u0000-\u0008\u000e-\u001f\u007f]/.test(text);
  if (binary) return { kind: 'binary', hex: hexDump(value) };
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return { kind: 'json', text, pretty: JSON.stringify(JSON.parse(trimmed), null, 2) };
    } catch {
      // not JSON: maybe YAML flow style, maybe just text
    }
  }
  if (/^[^\s#][^\n]*:(\s|$)|^- /m.test(text)) {
    const doc = parseDocument(text, { uniqueKeys: true });
    if (doc.errors.length === 0 && (isMap(doc.contents) || isSeq(doc.contents))) return { kind: 'yaml', text, pretty: doc.toString({ lineWidth: 0 }) };
  }
  return { kind: 'text', text };
}

/** `00000000  de ad be ef ...  |....|` lines, for at most {@link HEX_DUMP_BYTES} bytes. */
export function hexDump(value: Buffer): string {
  const shown = value.subarray(0, HEX_DUMP_BYTES);
  const lines: string[] = [];
  for (let offset = 0; offset < shown.length; offset += 16) {
    const row = shown.subarray(offset, offset + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  |${ascii}|`);
  }
  if (value.length > shown.length) lines.push(`… ${value.length - shown.length} more bytes`);
  return lines.join('\n');
}

async function readKey(client: Etcd3, key: string, revision?: number): Promise<{ kv: KeyValue | undefined; revision: number }> {
  try {
    const res = await client.kv.range({ key: Buffer.from(key), ...(revision ? { revision } : {}) });
    const raw = res.kvs[0];
    return { kv: raw ? toKeyValue(raw) : undefined, revision: Number(res.header.revision) };
  } catch (error) {
    throw consoleEtcdError(error, `reading ${key}`);
  }
}

/**
 * One key's value at the current revision or at `revision`, classified ({@link classifyValue}),
 * with the mod revisions of its earlier values that are not compacted: read back one
 * revision before each mod revision, until the key's create revision (the start of this
 * incarnation), a compacted revision, or {@link MAX_HISTORY} entries.
 * @throws {ApiException} 404 when the key is absent; `ETCD_COMPACTED` (410) for a compacted `revision`.
 */
export async function keyValueView(client: Etcd3, key: string, revision?: number): Promise<KeyValueView> {
  const read = await readKey(client, key, revision);
  if (!read.kv) throw notFound(`no key ${JSON.stringify(key)}${revision ? ` at revision ${revision}` : ''}`);
  const kv = read.kv;
  const history: number[] = [];
  let at = kv;
  while (history.length < MAX_HISTORY && at.modRevision > at.createRevision) {
    let earlier;
    try {
      earlier = (await readKey(client, key, at.modRevision - 1)).kv;
    } catch (error) {
      if (isEtcdPatternsError(error, 'ETCD_COMPACTED')) break;
      throw error;
    }
    if (!earlier) break;
    history.push(earlier.modRevision);
    at = earlier;
  }
  return { ...entryOf(kv, kv.value.length), ...classifyValue(kv.value), readRevision: revision ?? read.revision, history };
}

function conflict(key: string, yours: unknown, theirs: KeyValue | undefined): ApiException {
  const message = theirs
    ? `${key} was changed by someone else (it is at mod revision ${theirs.modRevision}); nothing was written`
    : `${key} was deleted by someone else; nothing was written`;
  return new ApiException(409, 'CONFLICT', message, {
    conflict: { yours, theirs: theirs ? classifyValue(theirs.value).text ?? null : null, ...(theirs ? { theirsModRevision: theirs.modRevision } : {}) },
  });
}

/**
 * Writes `value` only if the key is still at `expectedModRevision` (0: only if it does not exist).
 * @throws {ApiException} 409 `CONFLICT` with `conflict: { yours, theirs, theirsModRevision }`.
 */
export async function putKeyGuarded(client: Etcd3, key: string, value: string, expectedModRevision: number): Promise<KeyWriteResult> {
  const k = Buffer.from(key);
  let res;
  try {
    res = await client.kv.txn({
      compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedModRevision }],
      success: [{ request_put: { key: k, value: Buffer.from(value) } }],
      failure: [{ request_range: { key: k } }],
    });
  } catch (error) {
    throw consoleEtcdError(error, `writing ${key}`);
  }
  if (!res.succeeded) {
    const raw = res.responses[0]?.response_range?.kvs[0];
    throw conflict(key, value, raw ? toKeyValue(raw) : undefined);
  }
  return { key, revision: Number(res.header.revision), modRevision: Number(res.header.revision) };
}

/**
 * Deletes the key only if it is still at `expectedModRevision`.
 * @throws {ApiException} 409 `CONFLICT` (changed or already deleted).
 */
export async function deleteKeyGuarded(client: Etcd3, key: string, expectedModRevision: number): Promise<void> {
  const k = Buffer.from(key);
  let res;
  try {
    res = await client.kv.txn({
      compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedModRevision }],
      success: [{ request_delete_range: { key: k } }],
      failure: [{ request_range: { key: k } }],
    });
  } catch (error) {
    throw consoleEtcdError(error, `deleting ${key}`);
  }
  if (!res.succeeded) {
    const raw = res.responses[0]?.response_range?.kvs[0];
    throw conflict(key, null, raw ? toKeyValue(raw) : undefined);
  }
}

/** A value for an export: UTF-8 text when it is, base64 otherwise. */
function exportValue(value: Buffer): { value: string; encoding: 'utf8' | 'base64' } {
  const text = value.toString('utf8');
  return Buffer.from(text, 'utf8').equals(value) ? { value: text, encoding: 'utf8' } : { value: value.toString('base64'), encoding: 'base64' };
}

/** Every key and value under a prefix at one revision (read in pages of 500). */
export async function exportKeys(client: Etcd3, prefix: string, maxBytes = 64 * 1024 * 1024): Promise<KeyExport> {
  const { key: start, rangeEnd } = prefixRange(prefix);
  const keys: Array<KeyExport['keys'][number]> = [];
  let from = start;
  let revision: number | undefined;
  let bytes = 0;
  for (;;) {
    let res;
    try {
      res = await client.kv.range({ key: from, range_end: rangeEnd, limit: 500, ...(revision ? { revision } : {}) });
    } catch (error) {
      throw consoleEtcdError(error, `exporting ${prefix || 'the keyspace'}`);
    }
    revision ??= Number(res.header.revision);
    for (const raw of res.kvs) {
      const kv = toKeyValue(raw);
      bytes += kv.key.length + kv.value.length;
      if (bytes > maxBytes) throw new ApiException(413, 'TOO_LARGE', `the export of ${prefix || 'the keyspace'} exceeds ${maxBytes} bytes: narrow the prefix`);
      keys.push({ key: kv.key, ...exportValue(kv.value) });
    }
    if (!res.more || res.kvs.length === 0) break;
    from = Buffer.concat([res.kvs[res.kvs.length - 1]!.key, Buffer.from([0])]);
  }
  return { prefix, revision: revision ?? 0, keys };
}

/**
 * Imports keys: compares each with what is stored (read in transactions of 128 reads), and,
 * unless `dryRun`, writes the ones that differ in one transaction per batch of
 * {@link IMPORT_BATCH}, each guarded by the mod revisions read (a key changed in between fails
 * the batch, and no later batch is written).
 * @throws {ApiException} 409 `CONFLICT` naming how many batches were written before.
 */
export async function importKeys(client: Etcd3, input: { keys: ReadonlyArray<{ key: string; value: string; encoding: 'utf8' | 'base64' }> }, dryRun: boolean): Promise<ImportResult> {
  const wanted = new Map<string, Buffer>();
  for (const k of input.keys) wanted.set(k.key, k.encoding === 'base64' ? Buffer.from(k.value, 'base64') : Buffer.from(k.value, 'utf8'));
  const keys = [...wanted.keys()];
  const current = new Map<string, KeyValue>();
  for (let i = 0; i < keys.length; i += IMPORT_BATCH) {
    let res;
    try {
      res = await client.kv.txn({ success: keys.slice(i, i + IMPORT_BATCH).map((key) => ({ request_range: { key: Buffer.from(key) } })) });
    } catch (error) {
      throw consoleEtcdError(error, 'reading the keys to import');
    }
    for (const r of res.responses) for (const raw of r.response_range?.kvs ?? []) current.set(raw.key.toString('utf8'), toKeyValue(raw));
  }
  const changes: Array<{ key: string; action: 'create' | 'update' }> = [];
  let unchanged = 0;
  for (const [key, value] of wanted) {
    const now = current.get(key);
    if (now && now.value.equals(value)) unchanged++;
    else changes.push({ key, action: now ? 'update' : 'create' });
  }
  const batches = Math.ceil(changes.length / IMPORT_BATCH);
  if (!dryRun) {
    for (let b = 0; b < batches; b++) {
      const batch = changes.slice(b * IMPORT_BATCH, (b + 1) * IMPORT_BATCH);
      const compare: ICompare[] = batch.map((c) => ({ key: Buffer.from(c.key), target: 'Mod', result: 'Equal', mod_revision: current.get(c.key)?.modRevision ?? 0 }));
      const success: IRequestOp[] = batch.map((c) => ({ request_put: { key: Buffer.from(c.key), value: wanted.get(c.key)! } }));
      let res;
      try {
        res = await client.kv.txn({ compare, success });
      } catch (error) {
        throw consoleEtcdError(error, `importing batch ${b + 1} of ${batches}`);
      }
      if (!res.succeeded) {
        throw new ApiException(409, 'CONFLICT', `keys of batch ${b + 1} of ${batches} changed since they were read: batches 1-${b} were written, nothing after`, {
          conflict: { yours: { batch: b + 1, keys: batch.map((c) => c.key) }, theirs: { writtenBatches: b } },
        });
      }
    }
  }
  return {
    dryRun,
    create: changes.filter((c) => c.action === 'create').length,
    update: changes.filter((c) => c.action === 'update').length,
    unchanged,
    batches,
    changes: changes.slice(0, 1000),
  };
}
