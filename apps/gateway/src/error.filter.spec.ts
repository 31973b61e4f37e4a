import { NotFoundException, type ArgumentsHost } from '@nestjs/common';
import { EtcdPatternsError } from '@etcd-patterns/etcd';
import pino from 'pino';
import { ErrorFilter, type ErrorBody } from './error.filter';
import { RouteTable } from '@etcd-patterns/nest';
import { createJobBody, helloQuery } from './validation';

const routes = new RouteTable([
  { path: '/hello', method: 'GET' },
  { path: '/jobs', method: 'POST' },
  { path: '/config/:env/:app', method: 'GET' },
]);

function respondWithHeaders(error: unknown, request = { method: 'GET', path: '/x' }): { body: ErrorBody; headers: Record<string, string> } {
  let body: ErrorBody | undefined;
  let code = 0;
  const headers: Record<string, string> = {};
  const response = {
    headersSent: false,
    setHeader: (name: string, value: string) => (headers[name] = value),
    status: (c: number) => ((code = c), { json: (b: ErrorBody) => (body = b) }),
  };
  const host = { switchToHttp: () => ({ getResponse: () => response, getRequest: () => request }) } as unknown as ArgumentsHost;
  new ErrorFilter(pino({ level: 'silent' }), routes).catch(error, host);
  expect(body?.statusCode).toBe(code);
  return { body: body!, headers };
}

function respond(error: unknown): ErrorBody {
  return respondWithHeaders(error).body;
}

describe('ErrorFilter', () => {
  it('turns validation errors into 400 with one issue per field', () => {
    const zod = createJobBody.safeParse({ names: ['', 'x'.repeat(101)] }).error;
    const body = respond(zod);
    expect(body).toMatchObject({ statusCode: 400, error: 'BAD_REQUEST' });
    expect(body.issues).toEqual([
      { path: 'names.0', message: 'must not be empty' },
      { path: 'names.1', message: 'must be at most 100 characters' },
    ]);
    expect(respond(helloQuery.safeParse({}).error).message).toBe('invalid request: name: is required');
  });

  it('maps upstream gRPC errors with their details', () => {
    expect(respond({ code: 14, details: 'no instances of greeter in etcd', message: '' })).toEqual({
      statusCode: 503,
      error: 'UNAVAILABLE',
      message: 'no instances of greeter in etcd',
      grpcStatus: 'UNAVAILABLE',
    });
    expect(respond({ code: 4, details: 'Deadline exceeded', message: '' })).toMatchObject({ statusCode: 504, grpcStatus: 'DEADLINE_EXCEEDED' });
    expect(respond({ code: 3, details: 'name must not be empty', message: '' })).toMatchObject({ statusCode: 400, message: 'name must not be empty' });
  });

  it('keeps HTTP exceptions (unknown routes) and hides internals', () => {
    expect(respond(new NotFoundException('Cannot GET /x'))).toEqual({ statusCode: 404, error: 'NOT_FOUND', message: 'Cannot GET /x' });
    expect(respond(new EtcdPatternsError('ETCD_UNAVAILABLE', 'secret detail'))).toEqual({ statusCode: 503, error: 'UNAVAILABLE', message: 'etcd is unavailable (ETCD_UNAVAILABLE)' });
    expect(respond(Object.assign(new Error('request entity too large'), { status: 413, expose: true }))).toEqual({ statusCode: 413, error: 'PAYLOAD_TOO_LARGE', message: 'request body: request entity too large' });
    expect(respond(Object.assign(new Error('secret detail'), { status: 500, expose: false }))).toMatchObject({ statusCode: 500, message: 'internal error' });
    expect(respond(new Error('secret detail'))).toEqual({ statusCode: 500, error: 'INTERNAL', message: 'internal error' });
  });

  it('answers a wrong method on an existing path with 405 and Allow; other 404s stay 404', () => {
    const wrong = respondWithHeaders(new NotFoundException('Cannot DELETE /hello'), { method: 'DELETE', path: '/hello' });
    expect(wrong.body).toEqual({ statusCode: 405, error: 'METHOD_NOT_ALLOWED', message: 'method DELETE is not allowed on /hello; allowed: GET, HEAD' });
    expect(wrong.headers).toEqual({ Allow: 'GET, HEAD' });
    expect(respondWithHeaders(new NotFoundException('Cannot PUT /jobs'), { method: 'PUT', path: '/jobs' }).headers).toEqual({ Allow: 'POST' });

    const unknown = respondWithHeaders(new NotFoundException('Cannot GET /nope'), { method: 'GET', path: '/nope' });
    expect(unknown).toEqual({ body: { statusCode: 404, error: 'NOT_FOUND', message: 'Cannot GET /nope' }, headers: {} });
    // A handler's own 404 on a route that exists for this method
    const handler = respondWithHeaders(new NotFoundException('no config in namespace a/b'), { method: 'GET', path: '/config/a/b' });
    expect(handler).toEqual({ body: { statusCode: 404, error: 'NOT_FOUND', message: 'no config in namespace a/b' }, headers: {} });
  });
});
