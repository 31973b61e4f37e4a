import { createHash } from 'node:crypto';
import { ConfigError } from './errors';

/** A JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A configuration document: a JSON object (what a YAML or JSON config file holds). */
export type ConfigDocument = { [key: string]: JsonValue };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Checks that `value` is a publishable document: a plain object whose values JSON can
 * represent exactly (no `undefined`, functions, `NaN`/`Infinity`, class instances such as
 * `Date`, no empty keys). Returns it typed.
 * @throws {ConfigError} `CONFIG_INVALID_DOCUMENT` naming the first offending path.
 */
export function assertConfigDocument(value: unknown): ConfigDocument {
  if (!isPlainObject(value)) {
    throw new ConfigError('CONFIG_INVALID_DOCUMENT', 'a config document must be an object (a YAML mapping or a JSON object) at the top level');
  }
  const check = (v: unknown, path: string): void => {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw invalid(path, `${String(v)} cannot be stored as JSON`);
      return;
    }
    if (Array.isArray(v)) {
      v.forEach((item, i) => check(item, `${path}[${i}]`));
      return;
    }
    if (isPlainObject(v)) {
      for (const [k, child] of Object.entries(v)) {
        if (k === '') throw invalid(path, 'empty keys cannot be stored');
        check(child, path ? `${path}/${encodeSegment(k)}` : encodeSegment(k));
      }
      return;
    }
    throw invalid(path, `a ${typeof v === 'object' ? (v as object).constructor?.name ?? 'object' : typeof v} is not a JSON value`);
  };
  check(value, '');
  return value as ConfigDocument;
}

function invalid(path: string, message: string): ConfigError {
  return new ConfigError('CONFIG_INVALID_DOCUMENT', `invalid config document at ${path || '(document)'}: ${message}`);
}

/** Percent-encodes `%` and `/` so a document key is one path segment. */
export function encodeSegment(key: string): string {
  return key.replace(/%/g, '%25').replace(/\//g, '%2F');
}

/** Inverse of {@link encodeSegment}. */
export function decodeSegment(segment: string): string {
  return segment.replace(/%2F/gi, '/').replace(/%25/g, '%');
}

/**
 * The leaves of a document: slash paths (`server/port`) to values. Scalars, arrays and empty
 * objects are leaves; non-empty objects are levels. Insertion order of the document is kept.
 */
export function flattenDocument(document: ConfigDocument): Map<string, JsonValue> {
  const leaves = new Map<string, JsonValue>();
  const walk = (value: JsonValue, path: string): void => {
    if (isPlainObject(value) && Object.keys(value).length > 0) {
      for (const [k, child] of Object.entries(value)) walk(child, `${path}/${encodeSegment(k)}`);
    } else {
      leaves.set(path, value);
    }
  };
  for (const [k, child] of Object.entries(document)) walk(child, encodeSegment(k));
  return leaves;
}

/**
 * Rebuilds a document from leaves (the inverse of {@link flattenDocument}).
 * @throws {ConfigError} `CONFIG_INVALID_DOCUMENT` when one leaf path is a prefix of another
 *   (`a` and `a/b` both set: only possible through writes that bypass `publish`).
 */
export function unflattenDocument(leaves: Iterable<readonly [string, JsonValue]>): ConfigDocument {
  const root: ConfigDocument = {};
  // Objects created here for levels (as opposed to object values of leaves).
  const levels = new Set<object>([root]);
  for (const [path, value] of leaves) {
    const segments = path.split('/');
    let node: Record<string, JsonValue> = root;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      if (segment === '') throw invalid(path, 'empty path segment in a setting key');
      const key = segment.includes('%') ? decodeSegment(segment) : segment;
      const exists = Object.prototype.hasOwnProperty.call(node, key);
      if (i === segments.length - 1) {
        if (exists) throw invalid(path, 'conflicts with nested settings under it');
        setOwn(node, key, value);
      } else {
        if (!exists) {
          const level = {};
          levels.add(level);
          setOwn(node, key, level);
        } else if (!levels.has(node[key] as object)) {
          throw invalid(path, `conflicts with the setting ${segments.slice(0, i + 1).join('/')}`);
        }
        node = node[key] as Record<string, JsonValue>;
      }
    }
  }
  return root;
}

/** Sets an own enumerable property; `__proto__` stays data instead of changing the prototype. */
function setOwn(node: Record<string, JsonValue>, key: string, value: JsonValue): void {
  if (key === '__proto__') Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
  else node[key] = value;
}

/** JSON with object keys sorted at every level: equal documents give equal strings. */
export function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k]!)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** `sha256:<hex>` of the document's {@link canonicalJson}: what `_meta.checksum` holds. */
export function documentChecksum(document: ConfigDocument): string {
  return canonicalChecksum(canonicalJson(document));
}

/** {@link documentChecksum} of an already computed {@link canonicalJson}. */
export function canonicalChecksum(canonical: string): string {
  return `sha256:${createHash('sha256').update(canonical).digest('hex')}`;
}

/** Deep equality of two JSON values (key order ignored). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return canonicalJson(a) === canonicalJson(b);
}
