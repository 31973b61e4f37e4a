import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { assertConfigDocument, compileJsonSchema, ConfigError, type ConfigDocument } from '@etcd-patterns/config';

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError('CONFIG_INVALID_DOCUMENT', `cannot read the ${what} file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
}

/**
 * Parses YAML or JSON text (JSON is read by the YAML 1.2 parser too, so both report
 * `file:line:column`). Duplicate keys and multiple documents are errors.
 * @throws {ConfigError} `CONFIG_INVALID_DOCUMENT` with the position of the first error.
 */
export function parseYamlOrJson(text: string, name: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    const where = pos ? `${name}:${pos.line}:${pos.col}` : name;
    // The parser's message names the line and column and quotes the offending text.
    throw new ConfigError('CONFIG_INVALID_DOCUMENT', `${where}: ${first.message.trimEnd()}`, { cause: first });
  }
  try {
    return doc.toJS({ maxAliasCount: 1000 }) as unknown;
  } catch (error) {
    throw new ConfigError('CONFIG_INVALID_DOCUMENT', `${name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** Reads a config document from a `.yaml`, `.yml` or `.json` file (`-` for stdin). */
export function loadDocumentFile(path: string): ConfigDocument {
  return loadDocumentText(readDocumentText(path), path === '-' ? '<stdin>' : path, path);
}

/**
 * The text of a config file (`-` for stdin).
 * @throws {ConfigError} `CONFIG_INVALID_DOCUMENT` when it cannot be read.
 */
export function readDocumentText(path: string): string {
  return path === '-' ? readFileSync(0, 'utf8') : readText(path, 'config');
}

/**
 * Parses the text of a config document named `name` (read from `path`).
 * @throws {ConfigError} `CONFIG_INVALID_DOCUMENT`.
 */
export function loadDocumentText(text: string, name: string, path: string): ConfigDocument {
  const value = parseYamlOrJson(text, name);
  if (value === null || value === undefined) throw new ConfigError('CONFIG_INVALID_DOCUMENT', `${path}: the file is empty`);
  try {
    return assertConfigDocument(value);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(error.code as 'CONFIG_INVALID_DOCUMENT', `${path}: ${error.message}`, { cause: error });
    throw error;
  }
}

/** Reads a JSON Schema file (JSON or YAML). */
export function loadJsonSchemaFile(path: string): Record<string, unknown> {
  const value = parseYamlOrJson(readText(path, 'schema'), path);
  compileJsonSchema(value, `the schema ${path}`);
  return value as Record<string, unknown>;
}

/**
 * Loads a schema for validation: a JSON Schema (`.json`, `.yaml`, `.yml`), or a module
 * (`.ts`, `.js`, `.mjs`, `.cjs`, ...) exporting a zod schema as `schema` or `default`.
 */
export async function loadSchema(path: string): Promise<z.ZodType> {
  const ext = extname(path).toLowerCase();
  if (['.json', '.yaml', '.yml'].includes(ext)) return compileJsonSchema(loadJsonSchemaFile(path), `the schema ${path}`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(resolve(path))) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError('CONFIG_INVALID_DOCUMENT', `cannot load the schema module ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const candidates = [mod['schema'], mod['default'], (mod['default'] as Record<string, unknown> | undefined)?.['schema']];
  const schema = candidates.find((c) => typeof (c as { safeParse?: unknown } | undefined)?.safeParse === 'function');
  if (!schema) throw new ConfigError('CONFIG_INVALID_DOCUMENT', `${path} exports no zod schema (as \`schema\` or \`default\`)`);
  return schema as z.ZodType;
}
