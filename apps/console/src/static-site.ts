import express from 'express';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The parts of express's request and response used here. */
interface SiteRequest {
  readonly method: string;
  readonly path: string;
}
interface SiteResponse {
  status(code: number): SiteResponse;
  setHeader(name: string, value: string): unknown;
  type(type: string): SiteResponse;
  send(body: string): unknown;
  sendFile(path: string, options: Record<string, unknown>, callback: (error?: Error) => void): unknown;
}
type Next = (error?: unknown) => void;

/** Paths that belong to the API, never to the single-page app. */
const API_PATH = /^\/(api|v1|healthz)(\/|$)/;

/** The page `/` shows while the UI is not built. */
export const UI_MISSING_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>etcd-patterns console</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}code{background:#eee;padding:0 .25rem}</style></head>
<body><h1>The console UI is not built</h1>
<p>Build it with <code>npx nx build console-ui</code> (it goes to <code>apps/console-ui/dist</code>, or set <code>CONSOLE_STATIC_DIR</code>), then reload this page.</p>
<p>The API works already: <a href="/api/docs">/api/docs</a>.</p></body></html>
`;

/**
 * Express middleware serving the built single-page app from `dir`: its files as they are, and
 * `index.html` for every other GET outside the API (client-side routes such as `/config/dev/x`),
 * except paths that look like files (`/missing.js`), which fall through to a 404. While `dir` has
 * no `index.html`, such GETs answer {@link UI_MISSING_PAGE}. Checked per request, so a UI built
 * after the console started is served without a restart.
 */
export function staticSite(dir: string): (req: SiteRequest, res: SiteResponse, next: Next) => void {
  const root = resolve(dir);
  const files = express.static(root, { index: false, fallthrough: true, redirect: false });
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || API_PATH.test(req.path)) return next();
    const index = join(root, 'index.html');
    const looksLikeFile = /\/[^/]*\.[^/]+$/.test(req.path);
    if (!existsSync(index)) {
      if (looksLikeFile) return next();
      res.status(req.path === '/' ? 200 : 404).type('html').send(UI_MISSING_PAGE);
      return;
    }
    (files as unknown as (q: SiteRequest, s: SiteResponse, n: Next) => void)(req, res, (error?: unknown) => {
      if (error || looksLikeFile) return next(error);
      res.setHeader('cache-control', 'no-cache');
      res.sendFile(index, {}, (sendError) => {
        if (sendError) next(sendError);
      });
    });
  };
}
