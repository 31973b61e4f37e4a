import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiError } from '@etcd-patterns/console-contract';

/** The request as express hands it on (`originalUrl` is express's). */
type DeadlineRequest = IncomingMessage & { readonly originalUrl?: string };

/** Options of {@link requestDeadline}. */
export interface RequestDeadlineOptions {
  /** How long an API request may take before it is answered 504 (default 15 s). */
  readonly timeoutMs?: number;
  /**
   * Path prefixes that are not bounded: live streams and downloads last as long as they need
   * (default `/api/events`, `/api/cluster/snapshot`, `/api/keys/export`).
   */
  readonly unbounded?: readonly string[];
}

/** Response methods that would write after the 504 was sent: they become no-ops. */
const WRITERS = ['status', 'json', 'send', 'set', 'header', 'setHeader', 'type', 'end', 'write', 'writeHead'] as const;

/**
 * Express middleware that answers an `/api` request 504 `ETCD_DEADLINE_EXCEEDED` when it has
 * not answered within `timeoutMs`: a view that makes several etcd calls in a row, each allowed
 * its own deadline, would otherwise keep the page waiting for a minute when every member is
 * frozen or the quorum is gone. The handler keeps running (its etcd calls end at their own
 * deadlines); whatever it writes afterwards is dropped.
 */
export function requestDeadline(options: RequestDeadlineOptions = {}): (req: DeadlineRequest, res: ServerResponse, next: () => void) => void {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const unbounded = options.unbounded ?? ['/api/events', '/api/cluster/snapshot', '/api/keys/export'];
  return function boundRequest(req, res, next) {
    const path = (req.originalUrl ?? req.url ?? '').split('?')[0] ?? '';
    if (!path.startsWith('/api/') || unbounded.some((p) => path === p || path.startsWith(`${p}/`))) return next();
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      const body: ApiError = {
        error: {
          code: 'ETCD_DEADLINE_EXCEEDED',
          message: `etcd did not answer within ${Math.round(timeoutMs / 1000)} s: members may be frozen or the cluster may have lost its quorum`,
        },
      };
      res.statusCode = 504;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.setHeader('cache-control', 'no-store');
      res.end(JSON.stringify(body));
      const writable = res as unknown as Record<string, unknown>;
      for (const method of WRITERS) writable[method] = () => res;
    }, timeoutMs);
    timer.unref();
    const clear = (): void => clearTimeout(timer);
    res.once('finish', clear);
    res.once('close', clear);
    next();
  };
}
