import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** TLS settings for {@link httpJson} on an `https://` URL (PEM contents). */
export interface HttpJsonTls {
  readonly ca: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/**
 * POSTs a JSON body to etcd's gRPC gateway (or GETs when body is undefined) with no
 * connection reuse, so no socket outlives the call. `https://` URLs use `tls`.
 */
export function httpJson(url: string, body?: unknown, timeoutMs = 1000, tls?: HttpJsonTls): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const secure = url.startsWith('https://');
    const request = secure ? httpsRequest : httpRequest;
    const req = request(
      url,
      {
        method: body === undefined ? 'GET' : 'POST',
        agent: false,
        headers: { connection: 'close', 'content-type': 'application/json' },
        timeout: timeoutMs,
        ...(secure && tls
          ? {
              ca: tls.ca,
              cert: tls.cert,
              key: tls.key,
              // The harness probes liveness; it trusts the CA and does not care which name the
              // member's certificate carries (tests start members with a wrong one on purpose).
              checkServerIdentity: () => undefined,
            }
          : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (error) {
            reject(error);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms: ${url}`)));
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
