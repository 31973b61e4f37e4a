import { prefixRangeEnd, throwIfAborted, toEtcdError, toKeyValue } from '@etcd-patterns/etcd';
import type { ConfigDocument } from './document';
import { ConfigError } from './errors';
import { assembleLive } from './internal/live-state';
import { ConfigNamespace } from './namespace';
import type { ConfigMeta } from './records';
import type { NamespaceOptions } from './schema-store';

/** The live configuration of a namespace, as {@link getConfig} reads it. */
export interface LiveConfig {
  /** `env/app`. */
  readonly namespace: string;
  /** The document the live settings form. */
  readonly document: ConfigDocument;
  /** The live version (0 when settings exist but nothing was published with `publish`). */
  readonly version: number;
  /** etcd revision of the live publish (`_meta`'s mod revision; 0 without `_meta`). */
  readonly revision: number;
  /** The live meta record. */
  readonly meta: ConfigMeta | undefined;
  /**
   * True when the settings differ from what the live version published: someone wrote the
   * keys directly (etcdctl, etcdkeeper). `document` is what is in etcd now.
   */
  readonly drift: boolean;
  /** The etcd revision this read saw. */
  readonly readRevision: number;
}

/**
 * Reads the live configuration (one consistent range read).
 * @throws {ConfigError} `CONFIG_NOT_FOUND` when nothing is published; `CONFIG_CORRUPT` /
 *   `CONFIG_INVALID_DOCUMENT` when the keys cannot be put back together; `ETCD_*` errors.
 */
export async function getConfig(options: NamespaceOptions): Promise<LiveConfig> {
  throwIfAborted(options.signal);
  const ns = ConfigNamespace.parse(options.namespace, options.root);
  const prefix = Buffer.from(ns.livePrefix);
  let res;
  try {
    res = await options.client.kv.range({ key: prefix, range_end: prefixRangeEnd(prefix) });
  } catch (error) {
    throw toEtcdError(error, `reading config ${ns.name}`);
  }
  const live = assembleLive(ns, res.kvs.map(toKeyValue));
  if (live.empty) throw new ConfigError('CONFIG_NOT_FOUND', `nothing is published in config ${ns.name} (keys under ${ns.livePrefix})`);
  return {
    namespace: ns.name,
    document: live.document,
    version: live.meta?.version ?? 0,
    revision: live.metaRevision,
    meta: live.meta,
    drift: live.drift,
    readRevision: Number(res.header.revision),
  };
}
