import { z } from 'zod';

/** Parses `value` with `schema`; a `ZodError` becomes a 400 with one issue per field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  return schema.parse(value);
}

const name = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');

export const helloQuery = z.object({ name: z.string({ error: 'is required' }).pipe(name) });

export const createJobBody = z.object(
  {
    names: z
      .array(name, { error: 'must be an array of strings' })
      .min(1, 'must contain at least one name')
      .max(100, 'must contain at most 100 names'),
  },
  { error: 'body must be a JSON object like {"names": ["Ada"]}' },
);

export const jobIdParam = z.object({ id: z.uuid({ error: 'must be a job id (UUID)' }) });

const segment = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes');
export const configParams = z.object({ env: segment, app: segment });

export const servicesQuery = z.object({ service: segment.optional() });
