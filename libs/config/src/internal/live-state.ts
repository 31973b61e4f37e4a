import type { KeyValue } from '@etcd-patterns/etcd';
import { canonicalChecksum, canonicalJson, unflattenDocument, type ConfigDocument, type JsonValue } from '../document';
import { ConfigError } from '../errors';
import type { ConfigNamespace } from '../namespace';
import { decodeMeta, type ConfigMeta } from '../records';

/** The live keys of a namespace, put back together. */
export interface LiveState {
  /** The document the `values/` keys form. */
  readonly document: ConfigDocument;
  /** Its {@link canonicalJson}. */
  readonly canonical: string;
  /** `_meta`, when present. */
  readonly meta: ConfigMeta | undefined;
  /** Mod revision of `_meta` (0 when absent): the revision of the live publish. */
  readonly metaRevision: number;
  /**
   * True when the values are not what `_meta` says was published (checksum mismatch, or
   * values without `_meta`): someone wrote the keys without `publish`.
   */
  readonly drift: boolean;
  /** No `_meta` and no values: nothing was ever published (or everything was deleted). */
  readonly empty: boolean;
}

/**
 * Reassembles the live state from the keys under the namespace's live prefix (keys outside
 * `values/` and `_meta` are ignored).
 * @throws {ConfigError} `CONFIG_INVALID_DOCUMENT` for a setting that does not hold JSON or
 *   clashes with another; `CONFIG_CORRUPT` for an unreadable `_meta`.
 */
export function assembleLive(
  ns: ConfigNamespace,
  kvs: Iterable<KeyValue>,
  parse: (kv: KeyValue) => JsonValue = (kv) => JSON.parse(kv.value.toString('utf8')) as JsonValue,
  readMeta: (kv: KeyValue) => ConfigMeta = (kv) => decodeMeta(kv.value, kv.key),
): LiveState {
  const leaves: Array<[string, JsonValue]> = [];
  let metaKv: KeyValue | undefined;
  const valuesPrefix = ns.valuesPrefix;
  for (const kv of kvs) {
    if (kv.key === ns.metaKey) {
      metaKv = kv;
    } else if (kv.key.startsWith(valuesPrefix)) {
      const path = kv.key.slice(valuesPrefix.length);
      try {
        leaves.push([path, parse(kv)]);
      } catch (error) {
        throw new ConfigError('CONFIG_INVALID_DOCUMENT', `setting ${path} (${kv.key}) does not hold a JSON value`, { cause: error });
      }
    }
  }
  leaves.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const document = unflattenDocument(leaves);
  const meta = metaKv ? readMeta(metaKv) : undefined;
  const empty = meta === undefined && leaves.length === 0;
  const canonical = canonicalJson(document);
  const drift = !empty && (meta === undefined || meta.checksum !== canonicalChecksum(canonical));
  return { document, canonical, meta, metaRevision: metaKv?.modRevision ?? 0, drift, empty };
}
