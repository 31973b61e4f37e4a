export { AppProcess, appCommand, REPO_ROOT } from './app-process';
export type { AppName, StartAppOptions } from './app-process';
export { DEFAULT_GREETER_CONFIG } from './default-config';
// The OTLP decoder and the trace store moved to @etcd-patterns/telemetry (the console uses them too).
export { decodeOtlpTraces, OtlpDecodeError, TraceStore } from '@etcd-patterns/telemetry';
export type { ReceivedSpan, TraceStoreOptions, TraceSummary, TraceView, TraceSpanView, SpanKindName } from '@etcd-patterns/telemetry';
export { renderTracePage, escapeHtml } from './trace-page';
export type { TracePageOptions } from './trace-page';
export { TraceReceiver } from './trace-receiver';
export type { TraceReceiverOptions } from './trace-receiver';
export { startDemoTraces, DEFAULT_TRACES_PORT } from './demo-traces';
export type { DemoTraces, StartDemoTracesOptions } from './demo-traces';
export { formatLogLine } from './log-line';
export { DemoControlServer, DemoControlError } from './demo-control';
export type { DemoControlTarget, DemoControlServerOptions } from './demo-control';
