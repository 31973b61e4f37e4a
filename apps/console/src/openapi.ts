import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { CSRF_HEADER, MAX_BODY_BYTES, SESSION_COOKIE } from '@etcd-patterns/console-contract';
import { z } from 'zod';
import { API_DOC, type ApiDocOptions } from './api-doc';

/** An OpenAPI 3.0 document (the parts built here). */
export type OpenApiDocument = Record<string, unknown> & { openapi: string; info: Record<string, unknown>; paths: Record<string, Record<string, unknown>> };

const jsonSchema = (schema: z.ZodType): Record<string, unknown> =>
  z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;

const asArray = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : [value === undefined ? '/' : String(value)]);
const joinPath = (...parts: string[]): string => `/${parts.flatMap((p) => p.split('/')).filter(Boolean).join('/')}`;

/**
 * The OpenAPI document of the console's API, built from Nest's route metadata and each route's
 * {@link ApiDoc} (the apps run without decorator type metadata, so nothing is inferred from
 * TypeScript types): paths, methods, path and query parameters, request body schemas (from the
 * zod schemas the handlers validate with), the success status and media type, and the
 * `ApiError` body of every failure. Response bodies are named by their type in
 * `libs/console-contract`.
 */
export function buildOpenApiDocument(controllers: readonly Type[]): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const controller of controllers) {
    const prefixes = asArray(Reflect.getMetadata(PATH_METADATA, controller));
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler = (controller.prototype as Record<string, unknown>)[name];
      if (name === 'constructor' || typeof handler !== 'function') continue;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      const doc = Reflect.getMetadata(API_DOC, handler) as ApiDocOptions | undefined;
      if (method === undefined || doc === undefined) continue;
      for (const prefix of prefixes) {
        for (const path of asArray(Reflect.getMetadata(PATH_METADATA, handler))) {
          const full = joinPath(prefix, path);
          const openApiPath = full.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
          const verb = RequestMethod[method].toLowerCase();
          (paths[openApiPath] ??= {})[verb] = operation(doc, full, verb, `${controller.name}.${name}`);
        }
      }
    }
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'etcd-patterns ops console API',
      version: '0.1.0',
      description:
        `Sign in with \`POST /api/session\` (an etcd user name and password): it sets the HttpOnly cookie \`${SESSION_COOKIE}\` and returns a \`csrfToken\`, ` +
        `which every non-GET request must send in \`${CSRF_HEADER}\`. Every action runs with that user's etcd credentials: etcd's RBAC decides ` +
        `(denied: 403 \`ETCD_PERMISSION_DENIED\`). JSON bodies are limited to ${MAX_BODY_BYTES} bytes (413). Types: libs/console-contract/src/index.ts.`,
    },
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
        csrf: { type: 'apiKey', in: 'header', name: CSRF_HEADER },
      },
      schemas: {
        ApiError: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', example: 'ETCD_PERMISSION_DENIED' },
                message: { type: 'string' },
                issues: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' }, at: { type: 'string', example: '3:7' } } } },
                conflict: { type: 'object', properties: { yours: {}, theirs: {}, theirsModRevision: { type: 'integer' }, theirsVersion: { type: 'integer' } } },
              },
            },
          },
        },
      },
    },
    paths,
  };
}

function operation(doc: ApiDocOptions, path: string, verb: string, operationId: string): Record<string, unknown> {
  const parameters: Array<Record<string, unknown>> = [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  if (doc.query) {
    const schema = jsonSchema(doc.query) as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      parameters.push({ name, in: 'query', required: (schema.required ?? []).includes(name) && (property as { default?: unknown }).default === undefined, schema: property });
    }
  }
  const status = String(doc.status ?? 200);
  const media = doc.produces ?? 'application/json';
  const success =
    status === '204'
      ? { description: 'Done (no body)' }
      : { description: doc.returns ? `\`${doc.returns}\` (libs/console-contract)` : 'OK', content: { [media]: { schema: media === 'application/octet-stream' ? { type: 'string', format: 'binary' } : {} } } };
  return {
    operationId,
    tags: [doc.tag],
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(doc.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(doc.body) } } } } : {}),
    responses: {
      [status]: success,
      default: { description: 'An error (400, 401, 403, 404, 405, 409, 410, 413, 429, 503)', content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiError' } } } },
    },
    security: doc.public ? [] : verb === 'get' ? [{ session: [] }] : [{ session: [], csrf: [] }],
  };
}
