import { z } from 'zod';
import type { ConfigDocument } from './document';
import { ConfigError } from './errors';

/** What `_meta` holds: the identity of the live version. */
export interface ConfigMeta {
  /** Config version, 1 for the first publish, +1 per publish (rollbacks included). */
  readonly version: number;
  /** Random id of the publish (lets a retried publish recognise that it was applied). */
  readonly publishId: string;
  /** Who published. */
  readonly author: string;
  /** Why. */
  readonly message: string;
  /** Publisher's clock, ISO 8601. */
  readonly time: string;
  /** {@link documentChecksum} of the published document. */
  readonly checksum: string;
  /** Number of settings (leaf keys). */
  readonly leaves: number;
  /** The version this publish was based on (0 for the first). */
  readonly baseVersion: number;
  /** Set when this version re-published an older one. */
  readonly rollbackOf?: number;
}

/** One version of a namespace as {@link listVersions} reports it. */
export interface ConfigVersionInfo extends ConfigMeta {
  /** etcd revision of the publish transaction. */
  readonly revision: number;
}

/** A version with its full document, as {@link showVersion} returns it. */
export interface ConfigVersion extends ConfigVersionInfo {
  readonly document: ConfigDocument;
}

const metaSchema = z.object({
  version: z.number().int().nonnegative(),
  publishId: z.string(),
  author: z.string(),
  message: z.string(),
  time: z.string(),
  checksum: z.string(),
  leaves: z.number().int().nonnegative(),
  baseVersion: z.number().int().nonnegative(),
  rollbackOf: z.number().int().positive().optional(),
});

const historySchema = metaSchema.extend({
  document: z.record(z.string(), z.json()),
});

/** Reads a `_meta` value. @throws {ConfigError} `CONFIG_CORRUPT`. */
export function decodeMeta(value: Buffer, key: string): ConfigMeta {
  return decode(metaSchema, value, key) as ConfigMeta;
}

/** Reads a history record. @throws {ConfigError} `CONFIG_CORRUPT`. */
export function decodeHistory(value: Buffer, key: string, revision: number): ConfigVersion {
  const record = decode(historySchema, value, key);
  return { ...(record as Omit<ConfigVersion, 'revision'>), revision };
}

/**
 * Reads a history record's meta fields only (what {@link listVersions} returns): the document
 * is parsed as JSON but not validated, which costs a fraction of {@link decodeHistory} on big
 * documents. @throws {ConfigError} `CONFIG_CORRUPT`.
 */
export function decodeHistoryInfo(value: Buffer, key: string, revision: number): ConfigVersionInfo {
  return { ...(decode(metaSchema, value, key) as ConfigMeta), revision };
}

/** Serializes `_meta`. */
export function encodeMeta(meta: ConfigMeta): string {
  return JSON.stringify(meta);
}

/** Serializes a history record: the meta fields, then the document. */
export function encodeHistory(meta: ConfigMeta, document: ConfigDocument): string {
  return JSON.stringify({ ...meta, document });
}

function decode(schema: z.ZodType, value: Buffer, key: string): unknown {
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (error) {
    throw new ConfigError('CONFIG_CORRUPT', `${key} does not hold JSON`, { cause: error });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError('CONFIG_CORRUPT', `${key} is not a valid record: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, { cause: parsed.error });
  }
  return parsed.data;
}
