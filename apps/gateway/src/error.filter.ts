import { ArgumentsHost, Catch, HttpException, Inject, NotFoundException, type ExceptionFilter } from '@nestjs/common';
import { isEtcdPatternsError } from '@etcd-patterns/etcd';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import { grpcStatusName, httpErrorName, httpStatusForGrpc, isGrpcError } from './http-errors';
import { RouteTable } from '@etcd-patterns/nest';
import { LOGGER } from './tokens';

/** A 4xx error from the `http-errors` package (what body-parser throws), safe to show. */
function isClientHttpError(error: unknown): error is { status: number; message: string } {
  const e = error as { status?: unknown; expose?: unknown; message?: unknown } | null;
  return typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose === true && typeof e.message === 'string';
}

/** The part of express's response used here (no @types/express needed). */
interface HttpResponse {
  readonly headersSent: boolean;
  setHeader(name: string, value: string): unknown;
  status(code: number): { json(body: unknown): void };
}

/** The part of express's request used here. */
interface HttpRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
}

/** Body of every error response. */
export interface ErrorBody {
  readonly statusCode: number;
  /** Stable code: `BAD_REQUEST`, `NOT_FOUND`, `UNAVAILABLE`, ... */
  readonly error: string;
  readonly message: string;
  /** Validation problems, one per bad field. */
  readonly issues?: ReadonlyArray<{ readonly path: string; readonly message: string }>;
  /** gRPC status of the failed upstream call. */
  readonly grpcStatus?: string;
}

/**
 * Turns every error into a JSON error body: zod validation errors into 400 with one issue per
 * field, upstream gRPC errors into their HTTP equivalent (INVALID_ARGUMENT 400, NOT_FOUND 404,
 * UNAVAILABLE 503, DEADLINE_EXCEEDED 504, ...), Nest's HTTP exceptions (unknown route 404)
 * and body-parser's errors (malformed JSON 400, too large 413) as they are, retryable etcd
 * errors into 503, anything else into 500 without internals. A 404 for a path that exists with
 * other methods (`DELETE /hello`) becomes 405 with an `Allow` header.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(RouteTable) private readonly routes: RouteTable,
  ) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<HttpResponse>();
    const allow = error instanceof NotFoundException ? this.otherMethods(host.switchToHttp().getRequest<HttpRequest>()) : undefined;
    if (allow && !response.headersSent) response.setHeader('Allow', allow.methods.join(', '));
    const body = allow?.body ?? this.toBody(error);
    if (body.statusCode >= 500) this.log.warn({ err: error, statusCode: body.statusCode }, body.message);
    if (!response.headersSent) response.status(body.statusCode).json(body);
  }

  /**
   * For a 404 (Nest's "no route" or a handler's own): the methods the path allows when the
   * request's method is not one of them. A handler's 404 (`GET /config/x/y` with no config)
   * comes from an allowed method and stays a 404.
   */
  private otherMethods(request: HttpRequest): { methods: string[]; body: ErrorBody } | undefined {
    const methods = this.routes.allowedMethods(request.path);
    if (methods.length === 0 || methods.includes(request.method.toUpperCase())) return undefined;
    const message = `method ${request.method} is not allowed on ${request.path}; allowed: ${methods.join(', ')}`;
    return { methods, body: { statusCode: 405, error: httpErrorName(405), message } };
  }

  private toBody(error: unknown): ErrorBody {
    if (error instanceof ZodError) {
      const issues = error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
      return { statusCode: 400, error: 'BAD_REQUEST', message: `invalid request: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues };
    }
    if (isGrpcError(error)) {
      const statusCode = httpStatusForGrpc(error.code);
      return { statusCode, error: httpErrorName(statusCode), message: error.details || grpcStatusName(error.code), grpcStatus: grpcStatusName(error.code) };
    }
    if (error instanceof HttpException) {
      const statusCode = error.getStatus();
      const res = error.getResponse();
      const raw = typeof res === 'string' ? res : (res as { message?: unknown }).message;
      const message = Array.isArray(raw) ? raw.join('; ') : typeof raw === 'string' ? raw : error.message;
      return { statusCode, error: httpErrorName(statusCode), message };
    }
    if (isClientHttpError(error)) {
      // body-parser's errors (malformed JSON 400, too large 413, bad charset 415)
      return { statusCode: error.status, error: httpErrorName(error.status), message: `request body: ${error.message}` };
    }
    if (isEtcdPatternsError(error)) {
      return error.retryable
        ? { statusCode: 503, error: 'UNAVAILABLE', message: `etcd is unavailable (${error.code})` }
        : { statusCode: 500, error: 'INTERNAL', message: `internal error (${error.code})` };
    }
    return { statusCode: 500, error: 'INTERNAL', message: 'internal error' };
  }
}
