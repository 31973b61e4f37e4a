import { throwIfAborted, toEtcdError, type Etcd3 } from '@etcd-patterns/etcd';
import { z } from 'zod';
import { ConfigError } from './errors';
import { ConfigNamespace } from './namespace';

/** Common options of the namespace-level calls. */
export interface NamespaceOptions {
  /** An etcd client (from `createEtcdClient`). */
  readonly client: Etcd3;
  /** `env/app`, or a parsed {@link ConfigNamespace}. */
  readonly namespace: string | ConfigNamespace;
  /** Root prefix, default `/config` (ignored when `namespace` is a {@link ConfigNamespace}). */
  readonly root?: string;
  /** Aborts the call. */
  readonly signal?: AbortSignal;
}

/** A JSON Schema object (draft 2020-12 / draft-07 subset that zod's `fromJSONSchema` reads). */
export type JsonSchema = Record<string, unknown>;

/**
 * Compiles a JSON Schema into a zod schema with `z.fromJSONSchema`.
 * @throws {ConfigError} `CONFIG_INVALID_DOCUMENT` when the schema cannot be compiled.
 */
export function compileJsonSchema(schema: unknown, what = 'JSON Schema'): z.ZodType {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new ConfigError('CONFIG_INVALID_DOCUMENT', `${what} must be a JSON object`);
  }
  try {
    return z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch (error) {
    throw new ConfigError('CONFIG_INVALID_DOCUMENT', `${what} cannot be used: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** Options for {@link setStoredSchema}. */
export interface SetStoredSchemaOptions extends NamespaceOptions {
  /** The JSON Schema every later publish to the namespace must satisfy. */
  readonly schema: JsonSchema;
}

/**
 * Stores a JSON Schema for a namespace at `<root>/_schema/<env>/<app>`. From then on
 * {@link publish} and {@link rollback} (library and CLI) refuse documents that do not match it,
 * whoever publishes. Services still validate with their own zod schema in {@link watchConfig}.
 * @throws {ConfigError} `CONFIG_INVALID_DOCUMENT` when the schema cannot be compiled;
 *   `ETCD_*` errors from etcd.
 */
export async function setStoredSchema(options: SetStoredSchemaOptions): Promise<void> {
  throwIfAborted(options.signal);
  const ns = ConfigNamespace.parse(options.namespace, options.root);
  compileJsonSchema(options.schema);
  try {
    await options.client.put(ns.schemaKey).value(JSON.stringify(options.schema)).exec();
  } catch (error) {
    throw toEtcdError(error, `storing the schema of ${ns.name}`);
  }
}

/** Removes the stored schema of a namespace (no-op when there is none). */
export async function deleteStoredSchema(options: NamespaceOptions): Promise<void> {
  throwIfAborted(options.signal);
  const ns = ConfigNamespace.parse(options.namespace, options.root);
  try {
    await options.client.delete().key(ns.schemaKey).exec();
  } catch (error) {
    throw toEtcdError(error, `deleting the schema of ${ns.name}`);
  }
}

/**
 * The stored JSON Schema of a namespace, or undefined.
 * @throws {ConfigError} `CONFIG_CORRUPT` when the stored value is not JSON.
 */
export async function getStoredSchema(options: NamespaceOptions): Promise<JsonSchema | undefined> {
  throwIfAborted(options.signal);
  const ns = ConfigNamespace.parse(options.namespace, options.root);
  let raw: string | null;
  try {
    raw = await options.client.get(ns.schemaKey).string();
  } catch (error) {
    throw toEtcdError(error, `reading the schema of ${ns.name}`);
  }
  return raw === null ? undefined : parseStoredSchema(Buffer.from(raw), ns.schemaKey);
}

/** @internal Decodes a stored schema value. */
export function parseStoredSchema(value: Buffer, key: string): JsonSchema {
  try {
    const parsed = JSON.parse(value.toString('utf8')) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as JsonSchema;
  } catch (error) {
    throw new ConfigError('CONFIG_CORRUPT', `${key} does not hold a JSON Schema`, { cause: error });
  }
  throw new ConfigError('CONFIG_CORRUPT', `${key} does not hold a JSON Schema object`);
}

/** Options for {@link storeZodSchema}. */
export interface StoreZodSchemaOptions extends NamespaceOptions {
  /** The app's own zod schema of the namespace's document. */
  readonly schema: z.ZodType;
}

/**
 * Stores the JSON Schema form of an app's zod schema as the namespace's stored schema (see
 * {@link setStoredSchema}), so that `epctl config publish` refuses a document the app would
 * refuse, at the door, with exit code 3. Writes only when it differs from what is stored (every
 * replica can call it at start). Refinements (`.refine`, `.superRefine`) and transforms have no
 * JSON Schema form and are not stored: express such rules with `.regex()`, `.min()`, enums and
 * the like where the door should check them.
 * @returns whether the stored schema changed.
 * @throws {ConfigError} `CONFIG_INVALID_DOCUMENT` when the schema cannot be converted;
 *   `ETCD_*` errors from etcd.
 */
export async function storeZodSchema(options: StoreZodSchemaOptions): Promise<boolean> {
  let jsonSchema: JsonSchema;
  try {
    jsonSchema = z.toJSONSchema(options.schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  } catch (error) {
    throw new ConfigError('CONFIG_INVALID_DOCUMENT', `the zod schema has no JSON Schema form: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const stored = await getStoredSchema(options);
  if (stored !== undefined && JSON.stringify(stored) === JSON.stringify(jsonSchema)) return false;
  await setStoredSchema({ ...options, schema: jsonSchema });
  return true;
}
