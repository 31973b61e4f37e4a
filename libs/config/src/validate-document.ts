import type { z } from 'zod';
import { validateWith } from './internal/validate';

/**
 * Validates a config document with a zod schema the way `publish` and `watchConfig` do, and
 * reports violations in the same form: issue paths in the notation of the etcd keys
 * (`server/port`, `servers[0]/host`). Use it to check a document before publishing (epctl's
 * `--dry-run` does) or against a schema compiled with `compileJsonSchema`. Synchronous; writes
 * nothing.
 * @param context What is validated, the start of the error message, e.g.
 *   `config prod/greeter does not match its schema`.
 * @returns the parsed value (defaults and transforms applied).
 * @throws {ConfigValidationError} `CONFIG_VALIDATION_FAILED` with every issue; the zod error is
 *   its `cause`.
 */
export function validateDocument<S extends z.ZodType>(schema: S, document: unknown, context: string): z.output<S> {
  const checked = validateWith(schema, document, context);
  if (!checked.ok) throw checked.error;
  return checked.value;
}
