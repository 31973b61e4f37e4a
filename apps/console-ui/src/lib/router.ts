// A small hash router: `#/keys?prefix=/services/` → path ['keys'], query prefix=/services/.
// Hash routes keep every page linkable (`#/traces/<traceId>`) with any static file server.
import { useMemo, useSyncExternalStore } from 'react';

/** The current route. */
export interface Route {
  /** Path segments, decoded: `#/config/dev/greeter` → ['config', 'dev', 'greeter']. */
  readonly path: readonly string[];
  readonly query: URLSearchParams;
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

function currentHash(): string {
  return window.location.hash;
}

/** Parses a location hash (with or without the leading `#`). */
export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const [pathPart = '', queryPart = ''] = splitOnce(raw, '?');
  const path = pathPart
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
  return { path, query: new URLSearchParams(queryPart) };
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}

/** The route, re-rendering on every hash change. */
export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, currentHash, () => '');
  return useMemo(() => parseHash(hash), [hash]);
}

/** Builds an `href` for a route: `routeHref(['traces', id])`, `routeHref(['keys'], { prefix })`. */
export function routeHref(path: readonly string[], query: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, value);
  const search = params.toString();
  return `#/${path.map(encodeURIComponent).join('/')}${search ? `?${search}` : ''}`;
}

/** Navigates to a route; `replace` keeps the browser history short for filter changes. */
export function navigate(path: readonly string[], query: Record<string, string | undefined> = {}, options: { replace?: boolean } = {}): void {
  const href = routeHref(path, query);
  if (options.replace) {
    window.history.replaceState(null, '', href);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    window.location.hash = href;
  }
}
