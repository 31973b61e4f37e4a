import { context, propagation, trace, diag, DiagLogLevel, type DiagLogger, ProxyTracerProvider } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NestInstrumentation } from '@opentelemetry/instrumentation-nestjs-core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { isEtcdGrpcMethod } from './etcd-methods';
import { parseTelemetryEnv } from './env';
import { shutdownMetrics } from './metrics';
import { resolveServiceName } from './service-name';

/** Options of {@link startTelemetry}. */
export interface StartTelemetryOptions {
  /** `service.name` when `OTEL_SERVICE_NAME` is not set. Default: the script name. */
  readonly serviceName?: string;
  /** Environment to read (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** Extra span processors (tests use an `InMemorySpanExporter`). */
  readonly spanProcessors?: readonly SpanProcessor[];
  /**
   * HTTP paths whose incoming requests are not traced (default `/healthz`, `/readyz`, and
   * `/v1/traces`: an app that receives spans, such as the console, must not trace their
   * delivery, or each export would produce a span to export).
   */
  readonly ignoreHttpPaths?: readonly string[];
}

/** What {@link startTelemetry} returns. */
export interface TelemetryHandle {
  /** True when spans are exported (an OTLP endpoint is configured). */
  readonly exporting: boolean;
  /** Exports what is buffered and stops. Idempotent; never throws. */
  shutdown(): Promise<void>;
}

const diagLogger: DiagLogger = {
  // Export failures must never crash the host: report them once per message on stderr.
  error: (message, ...args) => process.stderr.write(`otel: ${message} ${args.map(String).join(' ')}\n`),
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  verbose: () => undefined,
};

/**
 * Starts OpenTelemetry tracing for this process: a tracer provider with W3C trace context
 * propagation, an OTLP/HTTP exporter configured by the standard `OTEL_*` variables (see
 * `telemetryEnvSchema`), and the HTTP, Express, gRPC and NestJS instrumentations. etcd's own
 * gRPC methods are never traced (see `isEtcdGrpcMethod`), nor health probes.
 *
 * Must run before `@grpc/grpc-js`, `http`, `express` or `@nestjs/core` is first required: load
 * it with `node --require`/`--import` of `@etcd-patterns/telemetry/register` (`src/register.ts`).
 * A second call returns a handle that does nothing (the first provider stays).
 *
 * @throws {Error} for malformed `OTEL_*` variables.
 */
export function startTelemetry(options: StartTelemetryOptions = {}): TelemetryHandle {
  const env = parseTelemetryEnv(options.env);
  if (env.OTEL_SDK_DISABLED) return { exporting: false, shutdown: async () => undefined };
  diag.setLogger(diagLogger, DiagLogLevel.ERROR);
  const serviceName = resolveServiceName(env.OTEL_SERVICE_NAME, options.serviceName);
  const processors: SpanProcessor[] = [...(options.spanProcessors ?? [])];
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (endpoint !== undefined) {
    const url = `${endpoint.replace(/\/+$/, '')}/v1/traces`;
    const exporter = env.OTEL_EXPORTER_OTLP_PROTOCOL === 'http/json' ? new OtlpJsonExporter({ url }) : new OtlpProtoExporter({ url });
    processors.push(new BatchSpanProcessor(exporter, { scheduledDelayMillis: 500 }));
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }),
    spanProcessors: processors,
  });
  if (!trace.setGlobalTracerProvider(provider)) {
    void provider.shutdown().catch(() => undefined); // another provider was registered first
    return { exporting: false, shutdown: async () => undefined };
  }
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  const ignored = new Set(options.ignoreHttpPaths ?? ['/healthz', '/readyz', '/v1/traces']);
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => ignored.has((req.url ?? '').split('?')[0] ?? ''),
      }),
      new ExpressInstrumentation(),
      new NestInstrumentation(),
      new GrpcInstrumentation({ ignoreGrpcMethods: [isEtcdGrpcMethod] }),
    ],
  });
  let stopping: Promise<void> | undefined;
  return {
    exporting: endpoint !== undefined,
    shutdown: () => (stopping ??= provider.shutdown().catch(() => undefined)),
  };
}

/**
 * Flushes and stops the tracer provider installed by {@link startTelemetry} and the meter
 * provider installed by `startMetrics` (closing its `/metrics` endpoint), wherever they were
 * started (the bootstrap file runs before the app and keeps no handle the app could reach).
 * Call it last in a graceful shutdown. Safe when telemetry is off; never throws.
 */
export async function shutdownTelemetry(): Promise<void> {
  const global = trace.getTracerProvider();
  const provider = global instanceof ProxyTracerProvider ? global.getDelegate() : global;
  const stoppable = provider as { shutdown?: () => Promise<void> };
  await Promise.all([
    typeof stoppable.shutdown === 'function' ? stoppable.shutdown().catch(() => undefined) : undefined,
    shutdownMetrics(),
  ]);
}

