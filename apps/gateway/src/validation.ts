import { z } from 'zod';

/** Parses `value` with `schema`; a `ZodError` becomes a 400 with one issue per field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  return schema.parse(value);
}

const name = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');

/**
 * One query parameter as a string, then `schema`. Express parses `?name=a&name=b` into an
 * array: that is "given 2 times", not "is required".
 */
function queryParam<S extends z.ZodType<unknown, string>>(schema: S) {
  return z
    .string({
      error: (issue) => (issue.input === undefined ? 'is required' : Array.isArray(issue.input) ? `is given ${issue.input.length} times; give it once` : 'must be a string'),
    })
    .pipe(schema);
}

export const helloQuery = z.object({ name: queryParam(name) });

export const createJobBody = z.object(
  {
    names: z
      .array(name, { error: 'must be an array of strings' })
      .min(1, 'must contain at least one name')
      .max(100, 'must contain at most 100 names'),
  },
  { error: 'body must be a JSON object like {"names": ["Ada"]}' },
);

/** Lower-case name of the header that makes `POST /jobs` idempotent. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/**
 * Headers of `POST /jobs`: an optional `Idempotency-Key` of 8 to 255 characters (letters,
 * digits and `- _ . : ~ + / =`; a UUID is a good key). The structured-field form of the IETF
 * draft (`"key"`, quoted) is accepted too and means the same key. Keys are global, not per
 * client: pick them unguessable.
 */
export const createJobHeaders = z.object({
  [IDEMPOTENCY_KEY_HEADER]: z
    .string({ error: 'must be a string' }) // Node joins a repeated header with ", ": the regex rejects it
    .transform((v) => (/^"[^"]*"$/.test(v) ? v.slice(1, -1) : v))
    .pipe(
      z
        .string()
        .min(8, 'must be at least 8 characters (a UUID is a good key)')
        .max(255, 'must be at most 255 characters')
        .regex(/^[A-Za-z0-9\-_.:~+/=]+$/, 'may contain only letters, digits and - _ . : ~ + / = (and be given once)'),
    )
    .optional(),
});

export const jobIdParam = z.object({ id: z.uuid({ error: 'must be a job id (UUID)' }) });

const segment = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes');
export const configParams = z.object({ env: segment, app: segment });

export const servicesQuery = z.object({ service: queryParam(segment).optional() });
