import { advertiseHostSchema } from '@etcd-patterns/discovery';
import { hostname } from 'node:os';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);

/**
 * Every environment variable the greeter reads (telemetry reads the `OTEL_*` ones, see
 * `telemetryEnvSchema`). Invalid values stop the process at start with a message naming each.
 */
export const greeterEnvSchema = z.object({
  /** Comma-separated etcd endpoints. */
  ETCD_ENDPOINTS: z.string({ error: 'is required (comma-separated host:port list)' }).min(1, 'is required (comma-separated host:port list)'),
  /** TTL of the lease holding the registration, in seconds. */
  ETCD_SESSION_TTL_SECONDS: z.coerce.number().int().min(2).max(3600).default(10),
  /** Name of this replica, returned with every greeting. */
  INSTANCE_NAME: z.string().min(1).default(`greeter-${hostname()}-${process.pid}`),
  /** Interface to bind. */
  GREETER_HOST: z.string().min(1).default('0.0.0.0'),
  /** Port to bind; 0 picks a free one. */
  GREETER_PORT: port.default(0),
  /**
   * Host clients should dial (registered in etcd). `@ip` means this machine's first external
   * IPv4 address (what a container should advertise), `@hostname` its host name.
   */
  GREETER_ADVERTISE_HOST: advertiseHostSchema(),
  /** Release registered as `version` metadata. */
  GREETER_VERSION: z.string().min(1).default('0.1.0'),
  /** Failure domain registered as `zone` metadata. */
  GREETER_ZONE: z.string().min(1).default('local'),
  /** Config center namespace of the greeting template (`env/app`). */
  CONFIG_NAMESPACE: z.string().regex(/^[a-z0-9][a-z0-9-]*\/[a-z0-9][a-z0-9-]*$/, 'must be env/app').default('dev/greeter'),
  /** Time between deregistering and closing the server, so clients stop picking this replica. */
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  /** gRPC server certificate (PEM; with GRPC_TLS_KEY_FILE): serve TLS. Its SANs must include `DNS:greeter`. Plaintext when unset. */
  GRPC_TLS_CERT_FILE: z.string().min(1).optional(),
  /** Private key of GRPC_TLS_CERT_FILE. */
  GRPC_TLS_KEY_FILE: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type GreeterEnv = z.output<typeof greeterEnvSchema>;

/**
 * Parses the greeter's environment.
 * @throws {Error} `invalid environment: NAME: problem; ...`.
 */
export function parseGreeterEnv(env: NodeJS.ProcessEnv = process.env): GreeterEnv {
  const picked = Object.fromEntries(Object.keys(greeterEnvSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = greeterEnvSchema.safeParse(picked);
  if (!parsed.success) {
    throw new Error(`invalid environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  if (Boolean(parsed.data.GRPC_TLS_CERT_FILE) !== Boolean(parsed.data.GRPC_TLS_KEY_FILE)) {
    throw new Error('invalid environment: GRPC_TLS_CERT_FILE: GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE are set together or not at all');
  }
  return parsed.data;
}
