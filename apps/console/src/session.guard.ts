import { createParamDecorator, Inject, Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { CSRF_HEADER, SESSION_COOKIE } from '@etcd-patterns/console-contract';
import { ApiException } from './api-error';
import { SessionStore, type ConsoleSession } from './session-store';

const PUBLIC_ROUTE = 'console:public-route';

/**
 * Marks a handler that needs no session (sign-in, the OTLP receiver, health). The session is
 * still looked up, so the handler can use it when there is one.
 */
export const Public = (): MethodDecorator => SetMetadata(PUBLIC_ROUTE, true);

/** The parts of express's request used here. */
export interface SessionRequest {
  readonly method: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly cookies?: Record<string, string | undefined>;
  consoleSession?: ConsoleSession;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Every route of the console controllers passes here (a global guard; routes that do not exist
 * are 404 before it). The session comes from the `ep_session` cookie: none (or an expired one)
 * is 401 `UNAUTHENTICATED` unless the route is {@link Public}. Every request with a method other
 * than GET/HEAD/OPTIONS on a non-public route must carry the session's CSRF token in
 * `x-csrf-token`, else 403 `CSRF`, before the handler runs.
 */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(@Inject(SessionStore) private readonly sessions: SessionStore) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<SessionRequest>();
    const session = this.sessions.get(request.cookies?.[SESSION_COOKIE]);
    if (session) request.consoleSession = session;
    const isPublic = Reflect.getMetadata(PUBLIC_ROUTE, context.getHandler()) === true;
    if (isPublic) return true;
    if (!session) throw new ApiException(401, 'UNAUTHENTICATED', 'not signed in (or the session expired): POST /api/session');
    if (!SAFE_METHODS.has(request.method.toUpperCase()) && !SessionStore.csrfMatches(session, request.headers[CSRF_HEADER])) {
      throw new ApiException(403, 'CSRF', `missing or wrong ${CSRF_HEADER} header: send the csrfToken of the session`);
    }
    return true;
  }
}

/** The request's session (route handlers behind {@link SessionGuard}). */
export const CurrentSession = createParamDecorator((_data: unknown, context: ExecutionContext): ConsoleSession => {
  const session = context.switchToHttp().getRequest<SessionRequest>().consoleSession;
  if (!session) throw new ApiException(401, 'UNAUTHENTICATED', 'not signed in (or the session expired): POST /api/session');
  return session;
});

/** The request's session, or undefined (public routes). */
export const OptionalSession = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ConsoleSession | undefined => context.switchToHttp().getRequest<SessionRequest>().consoleSession,
);
