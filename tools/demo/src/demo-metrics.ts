import { createServer } from 'node:net';

/** First port of the demo's metrics endpoints (Prometheus's registered port for OpenTelemetry). */
export const DEFAULT_METRICS_PORT = 9464;

/** Options of {@link demoMetricsPorts}. */
export interface DemoMetricsPortsOptions {
  /** Environment to read (default `process.env`): `DEMO_METRICS_PORT`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Interface the apps bind their metrics endpoints on (default `127.0.0.1`). */
  readonly host?: string;
}

/**
 * `METRICS_PORT` of each of `count` apps of the demo, in start order: consecutive ports from
 * `DEMO_METRICS_PORT` (default {@link DEFAULT_METRICS_PORT}), so the URLs are the same on every
 * run and a local Prometheus can scrape them. A port that is taken becomes `0`, one the OS picks
 * (each app logs its metrics URL in its ready line either way). `DEMO_METRICS_PORT=0`: the OS
 * picks every port; `off`: no metrics.
 * @throws {Error} for a `DEMO_METRICS_PORT` that is neither a port number nor `off`.
 */
export async function demoMetricsPorts(count: number, options: DemoMetricsPortsOptions = {}): Promise<string[]> {
  const raw = (options.env ?? process.env)['DEMO_METRICS_PORT'] || String(DEFAULT_METRICS_PORT);
  if (raw === 'off' || raw === '0') return Array.from({ length: count }, () => raw);
  const base = Number(raw);
  if (!/^\d+$/.test(raw) || base + count - 1 > 65535) throw new Error(`DEMO_METRICS_PORT: not a port number or off: ${raw}`);
  const host = options.host ?? '127.0.0.1';
  return Promise.all(Array.from({ length: count }, async (_, i) => ((await isFree(host, base + i)) ? String(base + i) : '0')));
}

function isFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}
