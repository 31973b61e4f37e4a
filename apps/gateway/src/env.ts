import { hostname } from 'node:os';
import { z } from 'zod';

/**
 * Every environment variable the gateway reads (telemetry reads the `OTEL_*` ones, see
 * `telemetryEnvSchema`). Invalid values stop the process at start with a message naming each.
 */
export const gatewayEnvSchema = z.object({
  /** Comma-separated etcd endpoints. */
  ETCD_ENDPOINTS: z.string({ error: 'is required (comma-separated host:port list)' }).min(1, 'is required (comma-separated host:port list)'),
  /** Name of this replica (logs). */
  INSTANCE_NAME: z.string().min(1).default(`gateway-${hostname()}-${process.pid}`),
  /** Interface to bind. */
  GATEWAY_HOST: z.string().min(1).default('0.0.0.0'),
  /** HTTP port; 0 picks a free one (logged as `url` in the "gateway ready" line). */
  GATEWAY_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Zone of the gateway, for zone-affine balancing. */
  GATEWAY_ZONE: z.string().min(1).default('local'),
  /** gRPC target of the greeter. */
  GREETER_TARGET: z.string().startsWith('etcd:///').default('etcd:///greeter'),
  /** gRPC target of the worker. */
  WORKER_TARGET: z.string().startsWith('etcd:///').default('etcd:///worker'),
  /** Balancing policy of both channels. */
  LB_POLICY: z.enum(['round_robin', 'p2c', 'weighted_round_robin', 'pick_first']).default('p2c'),
  /** Deadline of every gRPC call, in ms (504 when exceeded). */
  GRPC_DEADLINE_MS: z.coerce.number().int().min(10).max(120_000).default(3000),
  /** CA bundle (PEM) to verify the greeter and worker servers with: the channels use TLS when set, plaintext otherwise. */
  GRPC_TLS_CA_FILE: z.string().min(1).optional(),
  /**
   * How long a client may take to send the request line and headers, in ms (Node's
   * `headersTimeout`): slower clients (slowloris) get 408 and are disconnected.
   */
  GATEWAY_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** How long a client may take to send the whole request, body included, in ms (Node's `requestTimeout`; 408 beyond). */
  GATEWAY_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type GatewayEnv = z.output<typeof gatewayEnvSchema>;

/**
 * Parses the gateway's environment.
 * @throws {Error} `invalid environment: NAME: problem; ...`.
 */
export function parseGatewayEnv(env: NodeJS.ProcessEnv = process.env): GatewayEnv {
  const picked = Object.fromEntries(Object.keys(gatewayEnvSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = gatewayEnvSchema
    .refine((e) => e.GATEWAY_HEADERS_TIMEOUT_MS <= e.GATEWAY_REQUEST_TIMEOUT_MS, {
      path: ['GATEWAY_HEADERS_TIMEOUT_MS'],
      message: 'must not exceed GATEWAY_REQUEST_TIMEOUT_MS',
    })
    .safeParse(picked);
  if (!parsed.success) {
    throw new Error(`invalid environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}
