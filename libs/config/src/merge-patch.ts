import type { ConfigDocument, JsonValue } from './document';

/**
 * Applies a JSON Merge Patch (RFC 7396) to a document: objects are merged key by key, `null`
 * removes a key, anything else (scalars, arrays) replaces. `target` is not modified. Written
 * here rather than taken from npm: the RFC's algorithm is ten lines and the packages add
 * nothing to it.
 */
export function mergePatch(target: ConfigDocument, patch: ConfigDocument): ConfigDocument {
  return apply(target, patch) as ConfigDocument;
}

function isObject(value: unknown): value is Record<string, JsonValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function apply(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isObject(patch)) return patch;
  const out: Record<string, JsonValue> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = apply(out[key], value);
  }
  return out;
}

/**
 * A merge patch that sets one setting: `server/port` and `8080` give `{ server: { port: 8080 } }`
 * (`/` inside a key is written `%2F`, as in the etcd keys). `null` removes the setting.
 */
export function settingPatch(path: readonly string[], value: JsonValue): ConfigDocument {
  let patch: JsonValue = value;
  for (const key of [...path].reverse()) patch = { [key]: patch };
  return patch as ConfigDocument;
}
