export { startTelemetry, shutdownTelemetry } from './bootstrap';
export type { StartTelemetryOptions, TelemetryHandle } from './bootstrap';
export { startMetrics, metricsUrl, shutdownMetrics } from './metrics';
export type { StartMetricsOptions, MetricsHandle } from './metrics';
export { telemetryEnvSchema, parseTelemetryEnv } from './env';
export type { TelemetryEnv } from './env';
export { isEtcdGrpcMethod } from './etcd-methods';
export { serverSpanContext, formatTraceparent } from './server-span';
export {
  patternTracer,
  withSpan,
  traceLockWait,
  traceLockHold,
  traceElectionTerm,
  recordConfigReload,
  traceRegistration,
  captureTraceContext,
  withSpanFromCarrier,
} from './spans';
export type { ConfigReloadInfo } from './spans';
export { createLogger, NestPinoLogger } from './logger';
export type { CreateLoggerOptions } from './logger';
export { requestLog } from './request-log';
export type { LoggedRequest, LoggedResponse, RequestLogOptions } from './request-log';
export { decodeOtlpTraces, OtlpDecodeError } from './otlp-json';
export type { ReceivedSpan } from './otlp-json';
export { TraceStore } from './trace-store';
export type { TraceStoreOptions, TraceSummary, TraceView, TraceSpanView, SpanKindName } from './trace-store';
