import { TraceReceiver } from './trace-receiver';

/** Default port of the demo's trace viewer (where docker-compose's Jaeger UI would be). */
export const DEFAULT_TRACES_PORT = 16686;

/** Options of {@link startDemoTraces}. */
export interface StartDemoTracesOptions {
  /** Environment to read (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** Traces the built-in receiver keeps (default 200). */
  readonly maxTraces?: number;
}

/** Where the demo's apps send their spans. */
export interface DemoTraces {
  /** Variables to give every app (empty when the apps inherit the user's `OTEL_*` settings). */
  readonly env: Readonly<Record<string, string>>;
  /** The built-in receiver, when one was started; close it after the apps stopped. */
  readonly receiver?: TraceReceiver;
  /** One console line: `traces: http://127.0.0.1:16686/traces`, or where spans go instead. */
  readonly description: string;
}

/**
 * Decides where the demo's spans go. With `OTEL_EXPORTER_OTLP_ENDPOINT` set, to that endpoint
 * (the apps inherit the variables); with `OTEL_SDK_DISABLED=true`, nowhere. Otherwise starts a
 * {@link TraceReceiver} on `127.0.0.1:DEMO_TRACES_PORT` (default {@link DEFAULT_TRACES_PORT};
 * a port the OS picks when that one is taken, or when `DEMO_TRACES_PORT=0`) and points the apps
 * at it with `OTEL_EXPORTER_OTLP_ENDPOINT` and `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`.
 * @throws {Error} for a `DEMO_TRACES_PORT` that is not a port number, or when binding fails.
 */
export async function startDemoTraces(options: StartDemoTracesOptions = {}): Promise<DemoTraces> {
  const env = options.env ?? process.env;
  const external = env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  if (external) return { env: {}, description: `traces: exported to ${external} (OTEL_EXPORTER_OTLP_ENDPOINT)` };
  if (env['OTEL_SDK_DISABLED'] === 'true' || env['OTEL_SDK_DISABLED'] === '1') return { env: {}, description: 'traces: off (OTEL_SDK_DISABLED)' };
  const raw = env['DEMO_TRACES_PORT'] || String(DEFAULT_TRACES_PORT);
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) throw new Error(`DEMO_TRACES_PORT: not a port number: ${raw}`);
  let receiver: TraceReceiver;
  try {
    receiver = await TraceReceiver.start({ port, maxTraces: options.maxTraces });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EADDRINUSE' || port === 0) throw error;
    receiver = await TraceReceiver.start({ port: 0, maxTraces: options.maxTraces });
  }
  return {
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
    receiver,
    description: `traces: ${receiver.tracesUrl}${receiver.port !== port && port !== 0 ? ` (port ${port} is taken)` : ''}`,
  };
}
