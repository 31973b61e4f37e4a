import type { Server } from 'node:http';

/** Options of {@link applyHttpTimeouts}. */
export interface HttpTimeoutsOptions {
  /** Time to receive the request line and headers, in ms (Node's `server.headersTimeout`). */
  readonly headersTimeoutMs: number;
  /** Time to receive the whole request, body included, in ms (Node's `server.requestTimeout`); at least `headersTimeoutMs`. */
  readonly requestTimeoutMs: number;
}

/**
 * Bounds how long a client may take to send a request, against slow clients that hold
 * connections open (slowloris). Node answers a late request through `clientError` with
 * `ERR_HTTP_REQUEST_TIMEOUT`, which {@link answerClientErrors} turns into a JSON 408.
 *
 * Node checks these timeouts every `connectionsCheckingInterval` (30 s by default), read when
 * the server starts listening: call this before `listen()`. The interval is set to a quarter of
 * the headers timeout (between 100 ms and 1 s), so a timeout fires within about 25 % of its value.
 */
export function applyHttpTimeouts(server: Server, options: HttpTimeoutsOptions): void {
  server.headersTimeout = options.headersTimeoutMs;
  server.requestTimeout = options.requestTimeoutMs;
  const tracked = server as Server & { connectionsCheckingInterval: number };
  tracked.connectionsCheckingInterval = Math.min(1000, Math.max(100, Math.floor(options.headersTimeoutMs / 4)));
}
