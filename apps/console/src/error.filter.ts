import { ArgumentsHost, Catch, Inject, NotFoundException, type ExceptionFilter } from '@nestjs/common';
import { RouteTable } from '@etcd-patterns/nest';
import type { Logger } from 'pino';
import { errorAnswer, type ErrorAnswer } from './api-error';
import { LOGGER } from './tokens';

/** The part of express's response used here. */
interface HttpResponse {
  readonly headersSent: boolean;
  setHeader(name: string, value: string): unknown;
  status(code: number): { json(body: unknown): void };
  end(): void;
}

/** The part of express's request used here. */
interface HttpRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
}

/**
 * Turns every error into the contract's `ApiError` body (see `errorAnswer`). A 404 for a path
 * that exists with other methods (`DELETE /api/services`) becomes 405 with an `Allow` header; an
 * unknown route stays a 404 `NOT_FOUND`, as JSON. 5xx answers are logged (without the request).
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(RouteTable) private readonly routes: RouteTable,
  ) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<HttpResponse>();
    const request = http.getRequest<HttpRequest>();
    const answer = this.answer(error, request);
    if (answer.status >= 500) this.log.warn({ err: error, statusCode: answer.status }, answer.body.error.message);
    if (response.headersSent) {
      response.end(); // a stream (SSE, snapshot download) failed half-way: just end it
      return;
    }
    for (const [name, value] of Object.entries(answer.headers ?? {})) response.setHeader(name, value);
    response.status(answer.status).json(answer.body);
  }

  private answer(error: unknown, request: HttpRequest): ErrorAnswer {
    if (error instanceof NotFoundException) {
      const methods = this.routes.allowedMethods(request.path);
      if (methods.length > 0 && !methods.includes(request.method.toUpperCase())) {
        const message = `method ${request.method} is not allowed on ${request.path}; allowed: ${methods.join(', ')}`;
        return { status: 405, body: { error: { code: 'METHOD_NOT_ALLOWED', message } }, headers: { Allow: methods.join(', ') } };
      }
      if (methods.length === 0) return { status: 404, body: { error: { code: 'NOT_FOUND', message: `no such route: ${request.method} ${request.path}` } } };
    }
    return errorAnswer(error);
  }
}
