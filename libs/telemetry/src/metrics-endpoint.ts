import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';

/**
 * The HTTP server of a Prometheus exporter: `GET /metrics` answers with the exporter's text
 * format, anything else 404. Unlike the exporter's built-in server it binds port 0 (a port the
 * OS picks) and tells which port it got. The server is `unref()`ed: it never keeps a process
 * alive on its own.
 */
export class MetricsEndpoint {
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    /** `http://host:port/metrics` once listening; `undefined` when it could not listen. */
    readonly url: Promise<string | undefined>,
  ) {}

  /**
   * Starts listening on `host:port` (0: the OS picks). A failure to listen (port taken, bad
   * interface) goes to `onError` and resolves {@link url} with `undefined`; it never throws.
   */
  static listen(exporter: PrometheusExporter, host: string, port: number, onError: (error: Error) => void): MetricsEndpoint {
    const server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path === '/metrics' && (req.method === 'GET' || req.method === 'HEAD')) {
        exporter.getMetricsRequestHandler(req, res);
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    server.unref();
    const url = new Promise<string | undefined>((resolve) => {
      server.once('error', (error) => {
        onError(new Error(`metrics: cannot listen on ${host}:${port}: ${error.message}`, { cause: error }));
        resolve(undefined);
      });
      server.listen(port, host, () => {
        const bound = (server.address() as AddressInfo).port;
        resolve(`http://${urlHost(host)}:${bound}/metrics`);
      });
    });
    return new MetricsEndpoint(server, url);
  }

  /** Stops listening and closes open connections. Idempotent; never throws. */
  close(): Promise<void> {
    this.closing ??= this.url.then(
      (listening) =>
        new Promise<void>((resolve) => {
          if (listening === undefined) return resolve();
          this.server.close(() => resolve());
          this.server.closeAllConnections();
        }),
    );
    return this.closing;
  }
}

/** How a URL names the bound interface: a wildcard becomes loopback, IPv6 gets brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
