import { advertiseHostSchema } from '@etcd-patterns/discovery';
import { hostname } from 'node:os';
import { z } from 'zod';

const ms = (max: number) => z.coerce.number().int().min(0).max(max);

/**
 * Every environment variable the worker reads (telemetry reads the `OTEL_*` ones, see
 * `telemetryEnvSchema`). Invalid values stop the process at start with a message naming each.
 */
export const workerEnvSchema = z.object({
  /** Comma-separated etcd endpoints. */
  ETCD_ENDPOINTS: z.string({ error: 'is required (comma-separated host:port list)' }).min(1, 'is required (comma-separated host:port list)'),
  /**
   * TTL of the leases behind the registration, job locks and the election, in seconds: how long
   * a killed worker's jobs stay locked before the leader re-queues them.
   */
  ETCD_SESSION_TTL_SECONDS: z.coerce.number().int().min(2).max(3600).default(10),
  /** Name of this replica (stored as the job's `worker`). */
  INSTANCE_NAME: z.string().min(1).default(`worker-${hostname()}-${process.pid}`),
  /** Interface to bind. */
  WORKER_HOST: z.string().min(1).default('0.0.0.0'),
  /** Port to bind; 0 picks a free one. */
  WORKER_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /**
   * Host clients should dial (registered in etcd). `@ip` means this machine's first external
   * IPv4 address (what a container should advertise), `@hostname` its host name.
   */
  WORKER_ADVERTISE_HOST: advertiseHostSchema(),
  /** Release registered as `version` metadata. */
  WORKER_VERSION: z.string().min(1).default('0.1.0'),
  /** Failure domain registered as `zone` metadata (and used for zone-affine calls to greeter). */
  WORKER_ZONE: z.string().min(1).default('local'),
  /** Jobs processed at once by this replica. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(2),
  /** Artificial time per name, in ms (makes jobs long enough to watch, or to kill a worker mid-job). */
  WORKER_ITEM_DELAY_MS: ms(60_000).default(0),
  /** How often queued jobs are listed again (besides the watch), in ms. */
  WORKER_RESCAN_INTERVAL_MS: ms(600_000).min(100).default(2000),
  /** How often the leader looks for jobs whose worker died, in ms. */
  WORKER_REQUEUE_INTERVAL_MS: ms(600_000).min(100).default(2000),
  /** gRPC target of the greeter. */
  GREETER_TARGET: z.string().startsWith('etcd:///').default('etcd:///greeter'),
  /** Balancing policy of the greeter channel. */
  LB_POLICY: z.enum(['round_robin', 'p2c', 'weighted_round_robin', 'pick_first']).default('p2c'),
  /** Deadline of each greeter call, in ms. */
  GRPC_DEADLINE_MS: z.coerce.number().int().min(10).max(120_000).default(3000),
  /** Time between deregistering and closing the server, so clients stop picking this replica. */
  SHUTDOWN_DRAIN_MS: ms(60_000).default(1000),
  /** gRPC server certificate (PEM; with GRPC_TLS_KEY_FILE): serve TLS. Its SANs must include `DNS:worker`. Plaintext when unset. */
  GRPC_TLS_CERT_FILE: z.string().min(1).optional(),
  /** Private key of GRPC_TLS_CERT_FILE. */
  GRPC_TLS_KEY_FILE: z.string().min(1).optional(),
  /** CA bundle (PEM) to verify the greeter servers with: the channels use TLS when set, plaintext otherwise. */
  GRPC_TLS_CA_FILE: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type WorkerEnv = z.output<typeof workerEnvSchema>;

/**
 * Parses the worker's environment.
 * @throws {Error} `invalid environment: NAME: problem; ...`.
 */
export function parseWorkerEnv(env: NodeJS.ProcessEnv = process.env): WorkerEnv {
  const picked = Object.fromEntries(Object.keys(workerEnvSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = workerEnvSchema.safeParse(picked);
  if (!parsed.success) {
    throw new Error(`invalid environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  if (Boolean(parsed.data.GRPC_TLS_CERT_FILE) !== Boolean(parsed.data.GRPC_TLS_KEY_FILE)) {
    throw new Error('invalid environment: GRPC_TLS_CERT_FILE: GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE are set together or not at all');
  }
  return parsed.data;
}
