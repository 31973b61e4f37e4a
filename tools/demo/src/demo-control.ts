import type { ApiError, DemoView } from '@etcd-patterns/console-contract';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the demo's controls act on (the launcher implements it over its processes). */
export interface DemoControlTarget {
  /** The etcd members and app replicas, with their state. */
  view(): Promise<DemoView>;
  /** @throws {DemoControlError} 404 for an unknown member, 409 when the action does not apply. */
  member(name: string, action: 'pause' | 'resume' | 'kill' | 'start'): Promise<void>;
  /** @throws {DemoControlError} 404 for an unknown replica, 409 when the action does not apply. */
  app(id: string, action: 'kill' | 'start'): Promise<void>;
}

/** A refused control request, answered with `status` and the console contract's error body. */
export class DemoControlError extends Error {
  override readonly name = 'DemoControlError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Options of {@link DemoControlServer.start}. */
export interface DemoControlServerOptions {
  readonly target: DemoControlTarget;
  /** Port (default 0: the OS picks one). Always bound on 127.0.0.1. */
  readonly port?: number;
  /** Bearer token (default: 32 random bytes, hex). */
  readonly token?: string;
}

const MEMBER_ACTIONS = new Set(['pause', 'resume', 'kill', 'start']);
const APP_ACTIONS = new Set(['kill', 'start']);

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }).end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  const body: ApiError = { error: { code, message } };
  sendJson(res, status, body);
}

/**
 * The demo launcher's control endpoint, for the console's demo page: on 127.0.0.1 only, every
 * request must carry `Authorization: Bearer <token>` (a random token the launcher hands to the
 * console in its environment). `GET /state` answers the `DemoView`;
 * `POST /members/:name/(pause|resume|kill|start)` and `POST /apps/:id/(kill|start)` act and
 * answer the new `DemoView`. Errors use the console contract's `ApiError` body.
 */
export class DemoControlServer {
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    /** The bearer token. */
    readonly token: string,
    /** The port bound. */
    readonly port: number,
  ) {}

  /** Starts listening on 127.0.0.1. @throws {Error} when the port cannot be bound. */
  static async start(options: DemoControlServerOptions): Promise<DemoControlServer> {
    const token = options.token ?? randomBytes(32).toString('hex');
    const expected = Buffer.from(`Bearer ${token}`);
    const server = createServer((req, res) => {
      const given = Buffer.from(req.headers.authorization ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return sendError(res, 401, 'UNAUTHENTICATED', 'a bearer token is required');
      handle(req, res, options.target).catch((error: unknown) => {
        if (error instanceof DemoControlError) return sendError(res, error.status, error.code, error.message);
        sendError(res, 500, 'DEMO_FAILED', error instanceof Error ? error.message : String(error));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', () => undefined); // after start: never crash the demo over its controls
    return new DemoControlServer(server, token, (server.address() as AddressInfo).port);
  }

  /** `http://127.0.0.1:PORT`, for the console's `CONSOLE_DEMO_CONTROL_URL`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Stops listening and drops open connections. Idempotent; never throws. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

async function handle(req: IncomingMessage, res: ServerResponse, target: DemoControlTarget): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://control').pathname;
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 1 && parts[0] === 'state') {
    if (req.method !== 'GET') throw new DemoControlError(405, 'METHOD_NOT_ALLOWED', 'GET /state');
    return sendJson(res, 200, await target.view());
  }
  if (parts.length === 3 && (parts[0] === 'members' || parts[0] === 'apps')) {
    if (req.method !== 'POST') throw new DemoControlError(405, 'METHOD_NOT_ALLOWED', `POST ${path}`);
    const [kind, id, action] = parts as [string, string, string];
    if (kind === 'members') {
      if (!MEMBER_ACTIONS.has(action)) throw new DemoControlError(404, 'NOT_FOUND', `no member action ${action}: pause, resume, kill, start`);
      await target.member(id, action as 'pause' | 'resume' | 'kill' | 'start');
    } else {
      if (!APP_ACTIONS.has(action)) throw new DemoControlError(404, 'NOT_FOUND', `no app action ${action}: kill, start`);
      await target.app(id, action as 'kill' | 'start');
    }
    return sendJson(res, 200, await target.view());
  }
  throw new DemoControlError(404, 'NOT_FOUND', `nothing at ${path}`);
}
