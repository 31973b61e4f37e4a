import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { MAX_BODY_BYTES } from '@etcd-patterns/console-contract';
import { NestPinoLogger, requestLog } from '@etcd-patterns/telemetry';
import cookieParser from 'cookie-parser';
import helmet from 'helmet';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { CONSOLE_CONTROLLERS, ConsoleModule } from './console.module';
import { assertListenAllowed, isLoopbackHost, type ConsoleEnv } from './env';
import { EtcdAccess } from './etcd-access';
import { ListenAddress } from './listen-address';
import { buildOpenApiDocument } from './openapi';
import { requestDeadline } from './request-deadline';
import { staticSite } from './static-site';

/** A console that is listening. */
export interface RunningConsole {
  readonly app: NestExpressApplication;
  /** `http://host:port`. */
  readonly url: string;
  /** Whether etcd auth was on at start (undefined when etcd did not answer). */
  readonly authEnabled: boolean | undefined;
}

/** Options of {@link startConsole}. */
export interface StartConsoleOptions {
  /** Flush telemetry at shutdown (main does). */
  readonly shutdownTelemetry?: boolean;
}

/** The Content-Security-Policy: nothing but the console's own scripts; styles may be inline (CodeMirror, emotion). */
export const CONTENT_SECURITY_POLICY = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
};

/**
 * Starts the console: checks that it may listen where asked (no non-loopback address while etcd
 * auth is off, see `assertListenAllowed`; when etcd does not answer, only loopback), builds the
 * Nest app with its HTTP hardening, and listens.
 *
 * Middleware, in order: the request log; helmet (CSP above, `X-Content-Type-Options: nosniff`,
 * `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`, no HSTS: plain HTTP); the body
 * parsers (JSON, and raw for any other type) limited to `MAX_BODY_BYTES` (413 beyond); cookies;
 * the single-page app. Then Swagger UI
 * at `/api/docs` and the document at `/api/openapi.json`, and the controllers behind the session
 * guard.
 * @throws {Error} when the address is refused or cannot be bound.
 */
export async function startConsole(env: ConsoleEnv, log: Logger, options: StartConsoleOptions = {}): Promise<RunningConsole> {
  const access = await EtcdAccess.open({ endpoints: env.ETCD_ENDPOINTS.split(',').map((e) => e.trim()).filter(Boolean) });
  let app: NestExpressApplication | undefined;
  try {
    let authEnabled: boolean | undefined;
    try {
      authEnabled = await access.authEnabled();
    } catch (error) {
      if (!isLoopbackHost(env.CONSOLE_HOST) && !env.CONSOLE_ALLOW_REMOTE_WITHOUT_AUTH) {
        throw new Error(`refusing to listen on ${env.CONSOLE_HOST}: etcd does not answer, so whether its auth is on cannot be checked (${(error as Error).message})`);
      }
      log.warn({ err: error }, 'etcd does not answer yet; the console starts anyway (sign-in waits for etcd)');
    }
    if (authEnabled !== undefined) assertListenAllowed(env, authEnabled);

    app = await NestFactory.create<NestExpressApplication>(ConsoleModule.forRoot({ env, log, access, shutdownTelemetry: options.shutdownTelemetry }), {
      logger: new NestPinoLogger(log),
      bodyParser: false,
    });
    app.disable('x-powered-by');
    app.use(requestLog(log, { ignorePaths: ['/healthz', '/v1/traces'], remoteAddress: true }));
    app.use(requestDeadline({ timeoutMs: env.CONSOLE_REQUEST_TIMEOUT_MS }));
    app.use(
      helmet({
        contentSecurityPolicy: CONTENT_SECURITY_POLICY,
        frameguard: { action: 'deny' },
        strictTransportSecurity: false,
        referrerPolicy: { policy: 'no-referrer' },
        crossOriginEmbedderPolicy: false,
      }),
    );
    app.useBodyParser('json', { limit: MAX_BODY_BYTES });
    // Any other body is read (and refused past the limit) too, so 413 does not depend on the type.
    app.useBodyParser('raw', { limit: MAX_BODY_BYTES, type: (req: { headers: Record<string, unknown> }) => !/json/i.test(String(req.headers['content-type'] ?? '')) });
    app.use(cookieParser());
    app.use(staticSite(env.CONSOLE_STATIC_DIR));
    SwaggerModule.setup('api/docs', app, buildOpenApiDocument(CONSOLE_CONTROLLERS) as never, {
      jsonDocumentUrl: 'api/openapi.json',
      raw: ['json'],
      customSiteTitle: 'etcd-patterns console API',
    });
    await app.listen(env.CONSOLE_PORT, env.CONSOLE_HOST);
    const { port } = app.getHttpServer().address() as AddressInfo;
    const shownHost = env.CONSOLE_HOST === '0.0.0.0' || env.CONSOLE_HOST === '::' ? '127.0.0.1' : env.CONSOLE_HOST;
    const hostPart = shownHost.includes(':') ? `[${shownHost}]` : shownHost;
    app.get(ListenAddress).value = `${hostPart}:${port}`;
    return { app, url: `http://${hostPart}:${port}`, authEnabled };
  } catch (error) {
    if (app) await app.close().catch(() => undefined);
    else await access.close();
    throw error;
  }
}
