import { CSRF_HEADER, SESSION_COOKIE, type SessionInfo } from '@etcd-patterns/console-contract';
import { createLogger } from '@etcd-patterns/telemetry';
import { Writable } from 'node:stream';
import { startConsole, type RunningConsole } from '../console-app';
import { parseConsoleEnv, type ConsoleEnv } from '../env';
import { REDACTED_LOG_PATHS } from '../log-redaction';

/** One answer: status, headers and the body as text and (when it is JSON) parsed. */
export interface Answer<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: T;
}

/**
 * A browser stand-in for tests: keeps the session cookie, sends the CSRF token on non-GET
 * requests (unless told not to), and speaks JSON.
 */
export class ConsoleClient {
  private cookie: string | undefined;
  /** The session's CSRF token, once signed in. */
  csrfToken: string | undefined;

  constructor(readonly baseUrl: string) {}

  /** Signs in; returns the answer (the cookie and token are kept when it succeeded). */
  async signIn(username: string, password: string): Promise<Answer<SessionInfo>> {
    const answer = await this.request<SessionInfo>('POST', '/api/session', { body: { username, password }, csrf: false });
    if (answer.status === 200) this.csrfToken = answer.json.csrfToken;
    return answer;
  }

  /** A GET with the session cookie, the response unread (downloads). */
  raw(path: string): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, { headers: this.cookie ? { cookie: this.cookie } : {} });
  }

  get<T = unknown>(path: string): Promise<Answer<T>> {
    return this.request<T>('GET', path);
  }

  /** A request; `body` is sent as JSON (or as is when a string); `csrf: false` omits the token. */
  async request<T = unknown>(method: string, path: string, options: { body?: unknown; csrf?: boolean; headers?: Record<string, string> } = {}): Promise<Answer<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.cookie) headers['cookie'] = this.cookie;
    if (options.csrf !== false && this.csrfToken && method !== 'GET') headers[CSRF_HEADER] = this.csrfToken;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, body, redirect: 'manual' });
    this.keepCookie(res);
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json: json as T };
  }

  /**
   * Opens a live stream and collects its events until `until` returns true for the events so
   * far (or `timeoutMs` passes), then closes it.
   */
  async events<T = unknown>(path: string, until: (events: T[]) => boolean, options: { timeoutMs?: number; onOpen?: () => Promise<void> | void } = {}): Promise<T[]> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 15_000);
    const events: T[] = [];
    try {
      const res = await fetch(`${this.baseUrl}${path}`, { headers: this.cookie ? { cookie: this.cookie } : {}, signal: controller.signal });
      if (res.status !== 200 || !res.body) throw new Error(`stream ${path} answered ${res.status}: ${await res.text()}`);
      const decoder = new TextDecoder();
      let buffer = '';
      let opened = false;
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (data) events.push(JSON.parse(data) as T);
        }
        if (!opened && events.length > 0) {
          opened = true;
          await options.onOpen?.();
        }
        if (until(events)) break;
      }
      return events;
    } catch (error) {
      if (controller.signal.aborted) return events;
      throw error;
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
  }

  private keepCookie(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, value] = pair!.split('=');
      if (name !== SESSION_COOKIE) continue;
      this.cookie = value ? `${SESSION_COOKIE}=${value}` : undefined;
      if (!value) this.csrfToken = undefined;
    }
  }

  /** Whether a session cookie is held. */
  get signedIn(): boolean {
    return this.cookie !== undefined;
  }
}

/** A console started in-process for a test, with its log lines kept. */
export interface TestConsole extends RunningConsole {
  readonly env: ConsoleEnv;
  /** Every log line written so far (JSON text). */
  readonly logLines: string[];
  client(): ConsoleClient;
  close(): Promise<void>;
}

/** Starts a console on 127.0.0.1 and an OS-chosen port against `endpoints`. */
export async function startTestConsole(endpoints: readonly string[], env: Record<string, string> = {}): Promise<TestConsole> {
  const parsed = parseConsoleEnv({ ETCD_ENDPOINTS: endpoints.join(','), CONSOLE_PORT: '0', CONSOLE_STATIC_DIR: '/nonexistent-console-ui', LOG_LEVEL: 'info', ...env });
  const logLines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  const log = createLogger({ service: 'console', level: 'info', destination, redactPaths: REDACTED_LOG_PATHS });
  const running = await startConsole(parsed, log);
  return { ...running, env: parsed, logLines, client: () => new ConsoleClient(running.url), close: () => running.app.close() };
}
