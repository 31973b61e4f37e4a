import { isIP } from 'node:net';
import { z } from 'zod';

const flag = z
  .enum(['1', '0', 'true', 'false'], { error: 'must be 1 or 0' })
  .optional()
  .transform((v) => v === '1' || v === 'true');

const keyPrefix = z.string().regex(/^\/[^\s]*$/, 'must be a key prefix starting with / (no spaces)');

/**
 * Every environment variable the console reads (telemetry reads the `OTEL_*` and `METRICS_*`
 * ones, see `telemetryEnvSchema`). Invalid values stop the process at start with a message
 * naming each. `ETCD_USERNAME`/`ETCD_PASSWORD`/`ETCD_PASSWORD_FILE` must not be set (see {@link parseConsoleEnv}).
 */
export const consoleEnvSchema = z.object({
  /** Comma-separated etcd endpoints. TLS comes from `ETCD_CA_FILE`/`ETCD_CERT_FILE`/`ETCD_KEY_FILE`. */
  ETCD_ENDPOINTS: z.string({ error: 'is required (comma-separated host:port list)' }).min(1, 'is required (comma-separated host:port list)'),
  /** Interface to bind. Default loopback; see {@link assertListenAllowed} for other addresses. */
  CONSOLE_HOST: z.string().min(1).default('127.0.0.1'),
  /** HTTP port; 0 picks a free one (logged as `url` in the "console ready" line). */
  CONSOLE_PORT: z.coerce.number().int().min(0).max(65535).default(8088),
  /** Listen on a non-loopback address although etcd auth is off (anyone who reaches the port can then do anything). */
  CONSOLE_ALLOW_REMOTE_WITHOUT_AUTH: flag,
  /** The built single-page app (`npx nx build console-ui`), relative to the working directory. */
  CONSOLE_STATIC_DIR: z.string().min(1).default('apps/console-ui/dist'),
  /** Base URL of the demo launcher's control endpoint; the demo controls exist only when set. */
  CONSOLE_DEMO_CONTROL_URL: z.url({ error: 'must be an http:// URL' }).optional(),
  /** Bearer token of the demo control endpoint (required with `CONSOLE_DEMO_CONTROL_URL`). */
  CONSOLE_DEMO_CONTROL_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Root prefix of service registrations. */
  CONSOLE_REGISTRY_PREFIX: keyPrefix.default('/services'),
  /** Root prefix of the config center. */
  CONSOLE_CONFIG_ROOT: keyPrefix.default('/config'),
  /** Comma list of prefixes scanned (keys only) for lock and election owner keys; `/` is the whole keyspace. */
  CONSOLE_LOCK_PREFIXES: z
    .string()
    .default('/')
    .transform((v) => v.split(',').map((p) => p.trim()).filter((p) => p !== ''))
    .pipe(z.array(z.string().min(1)).min(1, 'must name at least one prefix')),
  /** A session without requests for this long is signed out, in seconds. */
  CONSOLE_SESSION_IDLE_SECONDS: z.coerce.number().int().min(10).max(24 * 3600).default(1800),
  /** An API request not answered within this long gets 504 `ETCD_DEADLINE_EXCEEDED` (live streams and downloads excepted), in ms. */
  CONSOLE_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(15_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type ConsoleEnv = z.output<typeof consoleEnvSchema>;

/**
 * Parses the console's environment.
 *
 * `ETCD_USERNAME`/`ETCD_PASSWORD`/`ETCD_PASSWORD_FILE` are refused: the etcd client library reads them for every
 * client it makes, so the console's own (credential-less) client would act as that user and
 * every visitor would inherit its rights. The console acts only as the user who signed in.
 * @throws {Error} `invalid environment: NAME: problem; ...`.
 */
export function parseConsoleEnv(env: NodeJS.ProcessEnv = process.env): ConsoleEnv {
  const picked = Object.fromEntries(Object.keys(consoleEnvSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = consoleEnvSchema.safeParse(picked);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  for (const name of ['ETCD_USERNAME', 'ETCD_PASSWORD', 'ETCD_PASSWORD_FILE']) {
    if (env[name] !== undefined && env[name] !== '') problems.push(`${name}: must not be set (the console signs in to etcd as each user; it has no credentials of its own)`);
  }
  if (parsed.success && (parsed.data.CONSOLE_DEMO_CONTROL_URL === undefined) !== (parsed.data.CONSOLE_DEMO_CONTROL_TOKEN === undefined)) {
    problems.push('CONSOLE_DEMO_CONTROL_URL: must be given together with CONSOLE_DEMO_CONTROL_TOKEN');
  }
  if (problems.length > 0 || !parsed.success) throw new Error(`invalid environment: ${problems.join('; ')}`);
  return parsed.data;
}

/** Whether `host` binds loopback only (`127.0.0.0/8`, `::1`, `localhost`). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/**
 * Refuses to listen beyond loopback while etcd auth is off: every visitor would then act on
 * etcd with no check at all. `CONSOLE_ALLOW_REMOTE_WITHOUT_AUTH=1` accepts the risk.
 * @throws {Error} naming the remedy.
 */
export function assertListenAllowed(env: Pick<ConsoleEnv, 'CONSOLE_HOST' | 'CONSOLE_ALLOW_REMOTE_WITHOUT_AUTH'>, authEnabled: boolean): void {
  if (authEnabled || isLoopbackHost(env.CONSOLE_HOST) || env.CONSOLE_ALLOW_REMOTE_WITHOUT_AUTH) return;
  throw new Error(
    `refusing to listen on ${env.CONSOLE_HOST}: etcd auth is off, so anyone reaching the console could read and change everything. ` +
      'Enable etcd auth (epctl access setup), or listen on 127.0.0.1, or set CONSOLE_ALLOW_REMOTE_WITHOUT_AUTH=1 to accept the risk',
  );
}
