import type { z } from 'zod';
import { encodeSegment } from '../document';
import { ConfigValidationError, type ConfigIssue } from '../errors';

/** `server/port`, `servers[0]/host`: a zod issue path in the notation of the etcd keys. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += (out ? '/' : '') + encodeSegment(String(part));
  }
  return out;
}

/** Converts zod issues to {@link ConfigIssue}s. */
export function toConfigIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((issue) => ({ path: formatIssuePath(issue.path), message: issue.message }));
}

/**
 * Validates `document` with `schema`.
 * @returns the parsed value (defaults and transforms applied) or the validation error.
 */
export function validateWith<S extends z.ZodType>(
  schema: S,
  document: unknown,
  context: string,
  version = 0,
  revision = 0,
): { ok: true; value: z.output<S> } | { ok: false; error: ConfigValidationError } {
  const parsed = schema.safeParse(document);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, error: new ConfigValidationError(toConfigIssues(parsed.error), context, version, revision, { cause: parsed.error }) };
}
