import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import pino from 'pino';
import { answerClientErrors, clientErrorBody, rawJsonResponse } from './client-error';

/** Sends `raw` on a new connection and resolves with everything the server wrote before closing. */
async function rawRequest(port: number, raw: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.write(raw);
  await once(socket, 'end');
  socket.destroy();
  return Buffer.concat(chunks).toString();
}

describe('clientErrorBody', () => {
  it('maps parser errors to the statuses Node uses, in the gateway error shape', () => {
    expect(clientErrorBody('HPE_HEADER_OVERFLOW')).toMatchObject({ statusCode: 431, error: 'REQUEST_HEADER_FIELDS_TOO_LARGE' });
    expect(clientErrorBody('ERR_HTTP_REQUEST_TIMEOUT')).toMatchObject({ statusCode: 408, error: 'REQUEST_TIMEOUT' });
    expect(clientErrorBody('HPE_CHUNK_EXTENSIONS_OVERFLOW')).toMatchObject({ statusCode: 413, error: 'PAYLOAD_TOO_LARGE' });
    expect(clientErrorBody('HPE_INVALID_METHOD')).toEqual({ statusCode: 400, error: 'BAD_REQUEST', message: 'malformed HTTP request (HPE_INVALID_METHOD)' });
    expect(clientErrorBody(undefined).statusCode).toBe(400);
  });

  it('writes a complete response with a byte-exact Content-Length', () => {
    const raw = rawJsonResponse({ statusCode: 400, error: 'BAD_REQUEST', message: 'ünïcode' });
    const [head, json] = raw.split('\r\n\r\n') as [string, string];
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(head).toContain(`Content-Length: ${Buffer.byteLength(json)}`);
    expect(head).toContain('Connection: close');
    expect(JSON.parse(json)).toEqual({ statusCode: 400, error: 'BAD_REQUEST', message: 'ünïcode' });
  });
});

describe('answerClientErrors (a real Node HTTP server)', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((_req, res) => res.end('ok'));
    answerClientErrors(server, pino({ level: 'silent' }));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.close();
    await once(server, 'close');
  });

  it('answers a URL beyond the header limit with 431 and a JSON body', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/hello?name=${'x'.repeat(20_000)}`);
    expect(res.status).toBe(431);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({ statusCode: 431, error: 'REQUEST_HEADER_FIELDS_TOO_LARGE' });
  });

  it('answers a malformed request with 400 and a JSON body', async () => {
    const raw = await rawRequest(port, 'NOT HTTP AT ALL\r\n\r\n');
    expect(raw.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(JSON.parse(raw.split('\r\n\r\n')[1]!)).toMatchObject({ statusCode: 400, error: 'BAD_REQUEST', message: expect.stringMatching(/^malformed HTTP request/) });
  });

  it('leaves well-formed requests alone', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/hello?name=${'x'.repeat(5000)}`);
    expect(await res.text()).toBe('ok');
  });
});
