import { HttpException } from '@nestjs/common';
import { ConfigValidationError } from '@etcd-patterns/config';
import type { ApiError } from '@etcd-patterns/console-contract';
import { EtcdPatternsError, toEtcdError } from '@etcd-patterns/etcd';
import { BrokenCircuitError } from 'cockatiel';
import * as etcd3 from 'etcd3';
import { ZodError } from 'zod';

/** One problem of a request, as {@link ApiError} `issues` carries it. */
export interface ApiIssue {
  readonly path: string;
  readonly message: string;
  /** `line:column` in a YAML/JSON document. */
  readonly at?: string;
}

/** Extra parts of an {@link ApiException}. */
export interface ApiExceptionDetails {
  readonly issues?: readonly ApiIssue[];
  readonly conflict?: NonNullable<ApiError['error']['conflict']>;
  /** Response headers (`Retry-After`, ...). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly cause?: unknown;
}

/** An error answer decided by the console itself: an HTTP status and a stable code. */
export class ApiException extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ApiExceptionDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ApiException';
  }
}

/** 400 `BAD_REQUEST`. */
export const badRequest = (message: string, issues?: readonly ApiIssue[]): ApiException => new ApiException(400, 'BAD_REQUEST', message, { issues });
/** 404 `NOT_FOUND`. */
export const notFound = (message: string): ApiException => new ApiException(404, 'NOT_FOUND', message);

/** HTTP status of each `EtcdPatternsError` code the console can meet (others: 500). */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  ETCD_INVALID_CONFIG: 400,
  ETCD_INVALID_ARGUMENT: 400,
  ETCD_AUTH_FAILED: 401,
  ETCD_CLIENT_CLOSED: 401, // the session was signed out while the request ran
  ETCD_PERMISSION_DENIED: 403,
  ETCD_LEASE_NOT_FOUND: 404,
  ETCD_NOT_FOUND: 404,
  ETCD_ALREADY_EXISTS: 409,
  ETCD_FAILED_PRECONDITION: 409,
  ETCD_COMPACTED: 410,
  ETCD_UNAVAILABLE: 503,
  ETCD_DEADLINE_EXCEEDED: 503,
  ETCD_NOSPACE: 503,
  ETCD_CORRUPT: 503,
  ETCD_TLS_FAILED: 503,
  CONFIG_INVALID_NAMESPACE: 400,
  CONFIG_INVALID_DOCUMENT: 400,
  CONFIG_VALIDATION_FAILED: 400,
  CONFIG_NOT_FOUND: 404,
  CONFIG_CONFLICT: 409,
  DISCOVERY_INVALID_ARGUMENT: 400,
  OPS_INVALID_ARGUMENT: 400,
  OPS_MEMBER_NOT_FOUND: 404,
  OPS_UNSAFE: 409,
  OPS_CLUSTER_UNHEALTHY: 503,
  OPS_LEARNER_NOT_READY: 503,
  OPS_ENDPOINT_UNREACHABLE: 503,
  OPS_SNAPSHOT_INVALID: 502,
};

// etcd3 turns these auth-admin answers into classes of its own (by etcd's message); they are
// mapped here, by class, to codes the console can answer with. Everything else goes through
// `toEtcdError` (by class and gRPC status).
const ADMIN_ERRORS: ReadonlyArray<readonly [new (...args: never[]) => Error, string]> = [
  [etcd3.EtcdUserExistsError, 'ETCD_ALREADY_EXISTS'],
  [etcd3.EtcdRoleExistsError, 'ETCD_ALREADY_EXISTS'],
  [etcd3.EtcdUserNotFoundError, 'ETCD_NOT_FOUND'],
  [etcd3.EtcdRoleNotFoundError, 'ETCD_NOT_FOUND'],
  [etcd3.EtcdRoleNotGrantedError, 'ETCD_NOT_FOUND'],
  [etcd3.GRPCFailedPreconditionError, 'ETCD_FAILED_PRECONDITION'],
  [etcd3.GRPCNotFoundError, 'ETCD_NOT_FOUND'],
];

/** Any error from an etcd call as an {@link EtcdPatternsError} (auth-admin answers included). */
export function consoleEtcdError(error: unknown, context?: string): EtcdPatternsError {
  if (error instanceof EtcdPatternsError) return error;
  for (const [cls, code] of ADMIN_ERRORS) {
    if (error instanceof cls) return new EtcdPatternsError(code, `${context ? `${context}: ` : ''}${error.message}`, { cause: error });
  }
  return toEtcdError(error, context);
}

/** A 4xx error from the `http-errors` package (what body-parser throws), safe to show. */
function clientHttpError(error: unknown): { status: number; message: string; type?: string } | undefined {
  const e = error as { status?: unknown; expose?: unknown; message?: unknown; type?: unknown } | null;
  if (typeof e?.status !== 'number' || e.status < 400 || e.status >= 500 || e.expose !== true || typeof e.message !== 'string') return undefined;
  return { status: e.status, message: e.message, type: typeof e.type === 'string' ? e.type : undefined };
}

const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

/** What the error filter answers for `error`. */
export interface ErrorAnswer {
  readonly status: number;
  readonly body: ApiError;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The answer for any error: {@link ApiException} as it is; zod errors 400 with one issue per
 * field; body-parser's 413/400/415; Nest's HTTP exceptions (a route that does not exist: 404);
 * etcd-patterns errors by code ({@link STATUS_BY_CODE}: permission denied 403 with a message
 * starting "permission denied:", compacted 410, unavailable 503, ...); anything else 500
 * without internals.
 */
export function errorAnswer(error: unknown): ErrorAnswer {
  if (error instanceof ApiException) {
    const { issues, conflict, headers } = error.details;
    return { status: error.status, body: { error: { code: error.code, message: error.message, ...(issues ? { issues } : {}), ...(conflict ? { conflict } : {}) } }, headers };
  }
  if (error instanceof ZodError) {
    const issues = error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
    return { status: 400, body: { error: { code: 'BAD_REQUEST', message: `invalid request: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues } } };
  }
  const http = clientHttpError(error);
  if (http) {
    const code = CODE_BY_STATUS[http.status] ?? 'BAD_REQUEST';
    const message = http.status === 413 ? 'request body too large (2 MiB at most)' : `request body: ${http.message}`;
    return { status: http.status, body: { error: { code, message } } };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const res = error.getResponse();
    const raw = typeof res === 'string' ? res : (res as { message?: unknown }).message;
    const message = Array.isArray(raw) ? raw.join('; ') : typeof raw === 'string' ? raw : error.message;
    return { status, body: { error: { code: CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST'), message } } };
  }
  if (error instanceof Error && !(error instanceof EtcdPatternsError) && !isEtcd3Error(error)) {
    return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error' } } };
  }
  const e = consoleEtcdError(error);
  const status = STATUS_BY_CODE[e.code] ?? 500;
  if (status === 500) return { status, body: { error: { code: e.code, message: `internal error (${e.code})` } } };
  if (e.code === 'ETCD_PERMISSION_DENIED') {
    return { status, body: { error: { code: e.code, message: e.message.startsWith('permission denied') ? e.message : `permission denied: ${e.message}` } } };
  }
  if (e instanceof ConfigValidationError) {
    return { status, body: { error: { code: e.code, message: e.message, issues: e.issues.map((i) => ({ path: i.path, message: i.message, ...(i.at ? { at: i.at } : {}) })) } } };
  }
  return { status, body: { error: { code: e.code, message: e.message } } };
}

const ETCD3_CLASSES: ReadonlySet<unknown> = new Set(Object.values(etcd3).filter((v) => typeof v === 'function'));

/**
 * Errors etcd3 throws (any class it exports, and its pool's open circuit breakers) or grpc-js's `ServiceError`s (numeric `code`
 * and `details`), which `consoleEtcdError` maps; anything else is a bug (500).
 */
function isEtcd3Error(error: Error): boolean {
  if (ETCD3_CLASSES.has(error.constructor) || error instanceof BrokenCircuitError) return true;
  const e = error as { code?: unknown; details?: unknown };
  return typeof e.code === 'number' && typeof e.details === 'string';
}
