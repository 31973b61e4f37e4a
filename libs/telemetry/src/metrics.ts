import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, type IMetricReader, type MeterProviderOptions } from '@opentelemetry/sdk-metrics';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { parseTelemetryEnv } from './env';
import { MetricsEndpoint } from './metrics-endpoint';
import { resolveServiceName } from './service-name';

/** Options of {@link startMetrics}. */
export interface StartMetricsOptions {
  /** `service.name` (in `target_info`) when `OTEL_SERVICE_NAME` is not set. Default: the script name. */
  readonly serviceName?: string;
  /** Environment to read (default `process.env`): `METRICS_PORT`, `METRICS_HOST`, `OTEL_SDK_DISABLED`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Extra readers next to the Prometheus exporter. */
  readonly readers?: readonly IMetricReader[];
  /** Receives background failures (the port cannot be bound). Default: one line on stderr. */
  readonly onError?: (error: Error) => void;
}

/** What {@link startMetrics} returns. */
export interface MetricsHandle {
  /**
   * `http://host:port/metrics` once the endpoint listens; `undefined` when metrics are off
   * (`METRICS_PORT=off`, `OTEL_SDK_DISABLED`), the port could not be bound, or another
   * MeterProvider was registered first.
   */
  readonly url: Promise<string | undefined>;
  /** Stops serving and shuts the meter provider down. Idempotent; never throws. */
  shutdown(): Promise<void>;
}

/**
 * The MeterProvider {@link startMetrics} registers. It owns the HTTP endpoint of its Prometheus
 * exporter, so whoever reaches the global provider (`shutdownMetrics`, `metricsUrl`) reaches
 * the endpoint too, across copies of this module.
 */
class ServedMeterProvider extends MeterProvider {
  private stopping: Promise<void> | undefined;

  constructor(
    options: MeterProviderOptions,
    private readonly endpoint: MetricsEndpoint,
  ) {
    super(options);
  }

  /** See {@link MetricsHandle.url}. */
  metricsUrl(): Promise<string | undefined> {
    return this.endpoint.url;
  }

  override shutdown(): Promise<void> {
    this.stopping ??= Promise.all([super.shutdown().catch(() => undefined), this.endpoint.close()]).then(() => undefined);
    return this.stopping;
  }
}

const OFF: MetricsHandle = { url: Promise.resolve(undefined), shutdown: async () => undefined };

function reportOnStderr(error: Error): void {
  process.stderr.write(`otel: ${error.message}\n`);
}

/**
 * Starts OpenTelemetry metrics for this process: registers a global MeterProvider whose
 * Prometheus exporter is served at `http://METRICS_HOST:METRICS_PORT/metrics` (see
 * `telemetryEnvSchema`; port 0, the default, is one the OS picks: read it from
 * {@link MetricsHandle.url} or {@link metricsUrl}). The libraries' instruments
 * (`metrics.getMeter('@etcd-patterns/<lib>')`) record into it from then on; every metric is
 * listed in this library's README.
 *
 * Loaded with the tracing bootstrap (`src/register.ts`), before the app. A port that cannot be
 * bound is reported (`onError`) and leaves the app running without an endpoint; telemetry never
 * stops the app. A second call, or a call after another MeterProvider was registered, changes
 * nothing and returns a handle whose `url` is `undefined`.
 *
 * @throws {Error} for malformed `METRICS_*`/`OTEL_*` variables.
 */
export function startMetrics(options: StartMetricsOptions = {}): MetricsHandle {
  const env = parseTelemetryEnv(options.env);
  if (env.OTEL_SDK_DISABLED || env.METRICS_PORT === 'off') return OFF;
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const endpoint = MetricsEndpoint.listen(exporter, env.METRICS_HOST, env.METRICS_PORT, options.onError ?? reportOnStderr);
  const provider = new ServedMeterProvider(
    {
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: resolveServiceName(env.OTEL_SERVICE_NAME, options.serviceName) }),
      readers: [exporter, ...(options.readers ?? [])],
    },
    endpoint,
  );
  if (!metrics.setGlobalMeterProvider(provider)) {
    void provider.shutdown(); // another provider was registered first
    return OFF;
  }
  return { url: provider.metricsUrl(), shutdown: () => provider.shutdown() };
}

/** The global provider as {@link startMetrics} made it, whichever copy of this module did. */
function servedProvider(): { metricsUrl(): Promise<string | undefined>; shutdown(): Promise<void> } | undefined {
  const provider = metrics.getMeterProvider() as Partial<ServedMeterProvider>;
  return typeof provider.metricsUrl === 'function' && typeof provider.shutdown === 'function' ? (provider as ServedMeterProvider) : undefined;
}

/**
 * Where this process serves `/metrics` (e.g. for the app's ready log line), or `undefined`
 * when {@link startMetrics} did not start an endpoint. Waits until the endpoint listens.
 */
export async function metricsUrl(): Promise<string | undefined> {
  return servedProvider()?.metricsUrl();
}

/**
 * Shuts down the provider {@link startMetrics} registered, wherever it was started, and closes
 * its endpoint. Safe when metrics are off; never throws. (`shutdownTelemetry` calls it.)
 */
export async function shutdownMetrics(): Promise<void> {
  await servedProvider()?.shutdown().catch(() => undefined);
}
