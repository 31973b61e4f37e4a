import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { SESSION_COOKIE, type SessionInfo } from '@etcd-patterns/console-contract';
import { isEtcdPatternsError } from '@etcd-patterns/etcd';
import type { Logger } from 'pino';
import { ApiException, consoleEtcdError } from './api-error';
import { ApiDoc } from './api-doc';
import type { ConsoleEnv } from './env';
import { isLoopbackHost } from './env';
import { EtcdAccess, closeConnection, type EtcdConnection } from './etcd-access';
import { ListenAddress } from './listen-address';
import { CurrentSession, OptionalSession, Public } from './session.guard';
import { SessionStore, type ConsoleSession } from './session-store';
import { SignInAttempts } from './sign-in-limiter';
import { CONSOLE_ENV, LOGGER } from './tokens';
import { parseInput, signInBody } from './validation';

/** The parts of express's request and response used here. */
interface CookieResponse {
  cookie(name: string, value: string, options: Record<string, unknown>): unknown;
  clearCookie(name: string, options: Record<string, unknown>): unknown;
}
interface ClientRequest {
  readonly socket: { readonly remoteAddress?: string };
}

/** Cookie attributes of `ep_session` (no `Secure`: the console serves plain HTTP on loopback). */
export const SESSION_COOKIE_OPTIONS = { httpOnly: true, sameSite: 'strict', path: '/', secure: false } as const;

/**
 * `POST /api/session` (sign in), `GET /api/session`, `DELETE /api/session` (sign out).
 *
 * With etcd auth on, signing in makes an etcd client with the given credentials (etcd checks
 * them: wrong ones are 401) and every later request of the session runs with it, so etcd's
 * RBAC decides what the user may see and do. With auth off, any name signs in (the password is
 * ignored: etcd cannot check it) and every session shares the console's credential-less client.
 */
@Controller('api/session')
export class SessionController {
  constructor(
    @Inject(SessionStore) private readonly sessions: SessionStore,
    @Inject(EtcdAccess) private readonly access: EtcdAccess,
    @Inject(SignInAttempts) private readonly limiter: SignInAttempts,
    @Inject(ListenAddress) private readonly listen: ListenAddress,
    @Inject(CONSOLE_ENV) private readonly env: ConsoleEnv,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  @Post()
  @Public()
  @HttpCode(200)
  @ApiDoc({ tag: 'session', summary: 'Sign in with an etcd user name and password (sets the ep_session cookie, returns the CSRF token)', body: signInBody, public: true })
  async signIn(
    @Body() body: unknown,
    @Req() req: ClientRequest,
    @Res({ passthrough: true }) res: CookieResponse,
    @OptionalSession() previous: ConsoleSession | undefined,
  ): Promise<SessionInfo> {
    const remote = req.socket.remoteAddress ?? 'unknown';
    const wait = this.limiter.take(remote);
    if (wait > 0) {
      this.log.warn({ remote }, 'sign-in rate limited');
      throw new ApiException(429, 'RATE_LIMITED', `too many sign-in attempts from ${remote}: retry in ${wait} s`, { headers: { 'Retry-After': String(wait) } });
    }
    const { username, password } = parseInput(signInBody, body);
    const authEnabled = await this.access.authEnabled();
    let connection: EtcdConnection;
    let roles: string[] = [];
    if (!authEnabled) {
      if (!isLoopbackHost(this.env.CONSOLE_HOST) && !this.env.CONSOLE_ALLOW_REMOTE_WITHOUT_AUTH) {
        throw new ApiException(403, 'AUTH_REQUIRED', 'etcd auth is off and the console listens beyond loopback: enable etcd auth first');
      }
      connection = this.access.anonymous;
    } else {
      if (username === '') throw new ApiException(401, 'UNAUTHENTICATED', 'etcd auth is on: a user name and password are required');
      try {
        connection = await this.access.connectAs(username, password);
      } catch (error) {
        const e = consoleEtcdError(error);
        if (isEtcdPatternsError(e, 'ETCD_AUTH_FAILED') || isEtcdPatternsError(e, 'ETCD_INVALID_CONFIG')) {
          this.log.warn({ user: username, remote }, 'sign-in refused: wrong user name or password');
          throw new ApiException(401, 'UNAUTHENTICATED', 'wrong user name or password');
        }
        throw e;
      }
      try {
        roles = (await connection.client.auth.userGet({ name: username })).roles ?? [];
      } catch {
        roles = []; // etcd lets every user read its own roles; anything else is not worth failing for
      }
    }
    let session: ConsoleSession;
    try {
      session = this.sessions.create({ username: authEnabled ? username : '', signInName: username, authEnabled, roles, connection, owned: authEnabled });
    } catch (error) {
      if (authEnabled) await closeConnection(connection);
      throw error;
    }
    if (previous) await this.sessions.end(previous.id);
    res.cookie(SESSION_COOKIE, session.id, SESSION_COOKIE_OPTIONS);
    this.log.info({ user: session.username, authEnabled, remote }, 'signed in');
    return this.info(session);
  }

  @Get()
  @Public()
  @ApiDoc({ tag: 'session', summary: 'The current session (401 when not signed in)', public: true })
  current(@OptionalSession() session: ConsoleSession | undefined): SessionInfo {
    if (!session) throw new ApiException(401, 'UNAUTHENTICATED', 'not signed in (or the session expired): POST /api/session');
    return this.info(session);
  }

  @Delete()
  @HttpCode(204)
  @ApiDoc({ tag: 'session', summary: 'Sign out (closes the etcd client of the session)' })
  async signOut(@CurrentSession() session: ConsoleSession, @Res({ passthrough: true }) res: CookieResponse): Promise<void> {
    await this.sessions.end(session.id);
    res.clearCookie(SESSION_COOKIE, SESSION_COOKIE_OPTIONS);
    this.log.info({ user: session.username }, 'signed out');
  }

  private info(session: ConsoleSession): SessionInfo {
    return {
      username: session.username,
      authEnabled: session.authEnabled,
      csrfToken: session.csrfToken,
      roles: session.roles,
      demoControls: this.env.CONSOLE_DEMO_CONTROL_URL !== undefined,
      listen: this.listen.value,
    };
  }
}
