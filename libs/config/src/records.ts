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

// `encodeHistory` writes the meta fields first and `document` last. Inside a JSON string a quote
// is always escaped, so `,"document":` can only be structure, and cut there one `}` closes the
// text only if the cut is at the top level: that head holds exactly the meta fields.
const DOCUMENT_FIELD = Buffer.from(',"document":');

/**
 * Reads a history record's meta fields only (what {@link listVersions} returns). For a record in
 * the layout {@link encodeHistory} writes, only the text before the document is parsed (about a
 * third of the cost at 1 KiB, far less for big documents); any other layout is parsed whole.
 * The document itself is not checked here: {@link decodeHistory} does that when it is read.
 * @throws {ConfigError} `CONFIG_CORRUPT` when the meta fields are missing or malformed.
 */
export function decodeHistoryInfo(value: Buffer, key: string, revision: number): ConfigVersionInfo {
  const at = value.indexOf(DOCUMENT_FIELD);
  if (at > 0) {
    const head = parseOrUndefined(`${value.toString('utf8', 0, at)}}`);
    const parsed = head === undefined ? undefined : metaSchema.safeParse(head);
    if (parsed?.success) return { ...(parsed.data as ConfigMeta), revision };
  }
  return { ...(decode(metaSchema, value, key) as ConfigMeta), revision };
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
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
