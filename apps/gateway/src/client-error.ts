import { STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { ErrorBody } from './error.filter';
import { httpErrorName } from './http-errors';

/** How long a socket answered here may stay open for the client to read the answer and close. */
export const CLIENT_ERROR_LINGER_MS = 5000;

/**
 * The error body for a request Node's HTTP parser rejected before express saw it (`code` of the
 * `clientError` error): 431 for `HPE_HEADER_OVERFLOW` (request line and headers above the
 * server's `maxHeaderSize`, 16 KiB by default), 408 for a request that did not arrive within
 * `requestTimeout`, 413 for oversized chunk extensions, 400 for anything else malformed. The same
 * statuses as Node's default answer, with the gateway's JSON error body.
 */
export function clientErrorBody(code: string | undefined): ErrorBody {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { statusCode: 431, error: httpErrorName(431), message: 'request line and headers are too large (the URL counts: send long input in a POST body)' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { statusCode: 408, error: httpErrorName(408), message: 'the request did not arrive in time' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { statusCode: 413, error: httpErrorName(413), message: 'chunk extensions are too large' };
    default:
      return { statusCode: 400, error: httpErrorName(400), message: `malformed HTTP request${code ? ` (${code})` : ''}` };
  }
}

/** A complete HTTP/1.1 response with `body` as JSON that closes the connection. */
export function rawJsonResponse(body: ErrorBody): string {
  const json = JSON.stringify(body);
  return [
    `HTTP/1.1 ${body.statusCode} ${STATUS_CODES[body.statusCode] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(json)}`,
    'Connection: close',
    '',
    json,
  ].join('\r\n');
}

/**
 * Answers the requests Node's HTTP parser rejects (`clientError`: too large headers, malformed
 * requests) with the gateway's JSON error body instead of Node's empty one. The socket is ended
 * (not destroyed) so the client can read the answer while it is still sending; it is destroyed
 * after {@link CLIENT_ERROR_LINGER_MS} of silence. Connection resets and sockets whose response
 * is already under way are destroyed without an answer, as Node does.
 */
export function answerClientErrors(server: Server, log: Logger): void {
  const answered = new WeakSet<Socket>();
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (answered.has(socket)) return; // the parser reports again for each further chunk
    // `_httpMessage` is the response in flight on this socket: Node's own default handler checks
    // it the same way, so as not to corrupt a response that has started.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    answered.add(socket);
    const body = clientErrorBody(error.code);
    log.info({ statusCode: body.statusCode, code: error.code, remote: socket.remoteAddress }, 'rejected a malformed request');
    socket.setTimeout(CLIENT_ERROR_LINGER_MS, () => socket.destroy());
    socket.end(rawJsonResponse(body));
  });
}
