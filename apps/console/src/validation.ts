import { MAX_MULTIPLEXED_STREAMS } from '@etcd-patterns/console-contract';
import { z } from 'zod';

/** Parses `value` with `schema`; a `ZodError` becomes a 400 with one issue per field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  return schema.parse(value ?? {});
}

/**
 * One query parameter as a string, then `schema`. Express parses `?a=1&a=2` into an array:
 * that is "given 2 times", not "is required".
 */
function queryParam<S extends z.ZodType<unknown, string>>(schema: S) {
  return z
    .string({
      error: (issue) => (issue.input === undefined ? 'is required' : Array.isArray(issue.input) ? `is given ${issue.input.length} times; give it once` : 'must be a string'),
    })
    .pipe(schema);
}

const queryInt = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  queryParam(z.string().regex(/^\d{1,16}$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max)));
const queryBool = queryParam(z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true'));

/** An etcd key given by a user: any non-empty text up to 4 KiB (etcd allows 1.5 MiB; nobody needs it). */
const key = z.string().min(1, 'must not be empty').max(4096, 'must be at most 4096 characters');

export const signInBody = z.object(
  {
    username: z.string({ error: 'must be a string' }).max(256).default(''),
    password: z.string({ error: 'must be a string' }).max(4096).default(''),
  },
  { error: 'body must be a JSON object like {"username": "root", "password": "..."}' },
);

export const configParams = z.object({ env: z.string().min(1), app: z.string().min(1) });
export const versionParams = configParams.extend({
  version: z.string().regex(/^\d{1,10}$/, 'must be a version number').transform(Number),
});

export const publishBody = z.object({
  text: z.string({ error: 'must be the document as YAML or JSON text' }),
  format: z.enum(['yaml', 'json']),
  baseVersion: z.number().int().min(0),
  message: z.string().max(1000).optional(),
});

export const rollbackBody = z.object({ version: z.number().int().min(1), baseVersion: z.number().int().min(0) });

export const defragBody = z.object({ member: z.string().min(1, 'must name a member (name, hex id or client URL)') });
export const compactBody = z.object({ revision: z.union([z.number().int().min(1), z.literal('current')], { error: "must be a revision number or 'current'" }) });

export const keysQuery = z.object({
  prefix: queryParam(z.string().max(4096)).default(''),
  search: queryParam(z.string().min(1).max(256)).optional(),
  limit: queryInt(1, 1000).default(100),
  after: queryParam(key).optional(),
});

export const keyValueQuery = z.object({ key: queryParam(key), revision: queryInt(1).optional() });

export const putKeyBody = z.object({
  key,
  value: z.string({ error: 'must be the value as text' }),
  expectedModRevision: z.number().int().min(0),
});

export const deleteKeyQuery = z.object({ key: queryParam(key), expectedModRevision: queryInt(1) });

export const exportQuery = z.object({ prefix: queryParam(z.string().max(4096)).default('') });
export const importQuery = z.object({ dryRun: queryBool.default(true) });
export const importBody = z.object({
  prefix: z.string().max(4096).default(''),
  revision: z.number().int().min(0).optional(),
  keys: z
    .array(z.object({ key, value: z.string(), encoding: z.enum(['utf8', 'base64']).default('utf8') }))
    .max(100_000, 'at most 100000 keys per import'),
});

export const leaseParams = z.object({ id: z.string().regex(/^[0-9a-fA-F]{1,16}$/, 'must be a lease id in hex') });

const authName = z.string().min(1, 'must not be empty').max(256);
export const addUserBody = z.object({ name: authName, password: z.string().min(1, 'must not be empty').max(4096) });
export const addRoleBody = z.object({ name: authName });
export const nameParams = z.object({ name: authName });
export const userRoleParams = z.object({ name: authName, role: authName });
export const grantRoleBody = z.object({ role: authName });
export const permissionBody = z.object({ type: z.enum(['read', 'write', 'readwrite']), key: z.string().max(4096), prefix: z.boolean().default(false) });
export const revokePermissionQuery = z.object({ key: queryParam(z.string().max(4096)), prefix: queryBool.default(false) });

export const traceParams = z.object({ traceId: z.string().regex(/^[0-9a-fA-F]{32}$/, 'must be a 32-hex trace id') });

export const streamParams = z.object({ stream: z.enum(['services', 'locks', 'config', 'keys', 'cluster']) });
export const streamQuery = z.object({ prefix: queryParam(z.string().max(4096)).default('') });

/** A multiplexed stream id: a stream name, or `keys:<prefix>`. */
const streamId = z.union([z.enum(['services', 'locks', 'config', 'cluster']), z.string().regex(/^keys:/, 'must be services, locks, config, cluster or keys:<prefix>').max(4096 + 5)]);

/** `GET /api/events?streams=["services","keys:/app/"]`. */
export const multiplexQuery = z.object({
  streams: queryParam(
    z
      .string()
      .transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be a JSON array of stream ids' });
          return z.NEVER;
        }
      })
      .pipe(z.array(streamId, { error: 'must be a JSON array of stream ids' }).min(1).max(MAX_MULTIPLEXED_STREAMS)),
  ),
});

export const demoMemberParams = z.object({ name: z.string().min(1).max(64), action: z.enum(['pause', 'resume', 'kill', 'start']) });
export const demoAppParams = z.object({ id: z.string().min(1).max(64), action: z.enum(['kill', 'start']) });
