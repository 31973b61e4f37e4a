/**
 * Side-effect entry point: starts telemetry (tracing, and metrics served for Prometheus) before
 * the app is loaded.
 *
 *   node --import tsx --import ./libs/telemetry/src/register.ts apps/greeter/src/main.ts
 *   node --require ./dist/libs/telemetry/src/register.js dist/apps/greeter/src/main.js   (compiled)
 *
 * Malformed `OTEL_*`/`METRICS_*` variables stop the process with a clear message (exit code 78,
 * EX_CONFIG).
 */
import { startTelemetry } from './bootstrap';
import { startMetrics } from './metrics';

try {
  startTelemetry();
  startMetrics();
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(78);
}
