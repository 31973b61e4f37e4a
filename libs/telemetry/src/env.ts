import { z } from 'zod';

const flag = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1');

const METRICS_PORT_MESSAGE = "must be a port number (0: the OS picks one) or 'off'";
const metricsPort = z
  .string()
  .regex(/^(off|\d{1,5})$/, METRICS_PORT_MESSAGE)
  .refine((v) => v === 'off' || Number(v) <= 65535, METRICS_PORT_MESSAGE)
  .transform((v): number | 'off' => (v === 'off' ? 'off' : Number(v)))
  .default(0);

/**
 * The `OTEL_*` and `METRICS_*` variables the bootstrap reads (standard names, see the OpenTelemetry
 * specification). Spans are exported only when an OTLP endpoint is set; without one, context
 * still propagates (so a traced caller keeps its trace through this process) but nothing is sent.
 * The exporters also honour the other standard `OTEL_EXPORTER_OTLP_*` variables (headers, timeout).
 * Metrics are served for Prometheus at `http://METRICS_HOST:METRICS_PORT/metrics`.
 */
export const telemetryEnvSchema = z.object({
  /** `true` turns telemetry off entirely. */
  OTEL_SDK_DISABLED: flag,
  /** `service.name` of every span. Default: the name given to `startTelemetry`. */
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  /** Base URL of an OTLP/HTTP receiver, e.g. `http://jaeger:4318` (spans go to `/v1/traces`). */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  /** `http/protobuf` (default) or `http/json`. */
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/protobuf', 'http/json']).default('http/protobuf'),
  /**
   * Port of the Prometheus endpoint `/metrics`. Default 0: one the OS picks (each app logs its
   * metrics URL in its ready line), so several apps on one machine never clash; give a fixed
   * one (9464 is Prometheus's registered port for OpenTelemetry) where a scraper must find it.
   * `off`: no metrics (nor with `OTEL_SDK_DISABLED`).
   */
  METRICS_PORT: metricsPort,
  /** Interface the metrics endpoint binds (default `0.0.0.0`, every interface). */
  METRICS_HOST: z.string().min(1).default('0.0.0.0'),
});

/** Parsed {@link telemetryEnvSchema}. */
export type TelemetryEnv = z.output<typeof telemetryEnvSchema>;

/**
 * Parses the telemetry variables of `env`.
 * @throws {Error} naming every bad variable.
 */
export function parseTelemetryEnv(env: NodeJS.ProcessEnv = process.env): TelemetryEnv {
  const picked = Object.fromEntries(
    Object.keys(telemetryEnvSchema.shape).map((key) => [key, env[key] === '' ? undefined : env[key]]),
  );
  const parsed = telemetryEnvSchema.safeParse(picked);
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid telemetry environment: ${details}`);
  }
  return parsed.data;
}
