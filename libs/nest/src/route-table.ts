import { RequestMethod, type Type } from '@nestjs/common';
// Nest's own metadata keys (what @Controller/@Get write); public constants since Nest 5.
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';

/** One route: a path such as `/jobs/:id` and its HTTP method (upper case). */
export interface Route {
  readonly path: string;
  readonly method: string;
}

/** Methods a route with `RequestMethod.ALL` (`@All()`) allows. */
const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

const split = (path: string): string[] => path.split('/').filter((s) => s !== '');
const asArray = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : [value === undefined ? '/' : String(value)]);

/**
 * The routes of the app's controllers, to tell a wrong method (405, with the methods the path
 * allows) from a path that does not exist (404). Matches the way express does by default:
 * case-insensitive, trailing slash ignored, `:param` matching one non-empty segment.
 */
export class RouteTable {
  private readonly routes: ReadonlyArray<{ readonly segments: readonly string[]; readonly method: string }>;

  /**
   * @throws {Error} for a path with syntax this table does not match (wildcards, optional
   * parts, regular expressions), rather than answering 405 or 404 wrongly.
   */
  constructor(routes: Iterable<Route>) {
    this.routes = [...routes].map(({ path, method }) => {
      if (/[*?()[\]{}+]/.test(path)) throw new Error(`route table: unsupported path syntax in ${path}`);
      return { segments: split(path.toLowerCase()), method: method.toUpperCase() };
    });
  }

  /** The routes of Nest controllers, read from their `@Controller` and `@Get`/`@Post`/... metadata. */
  static fromControllers(controllers: readonly Type[]): RouteTable {
    const routes: Route[] = [];
    for (const controller of controllers) {
      const prefixes = asArray(Reflect.getMetadata(PATH_METADATA, controller));
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        const methods = method === RequestMethod.ALL ? ALL_METHODS : [RequestMethod[method]];
        for (const prefix of prefixes) {
          for (const path of asArray(Reflect.getMetadata(PATH_METADATA, handler))) {
            for (const m of methods) routes.push({ path: `/${prefix}/${path}`, method: m });
          }
        }
      }
    }
    return new RouteTable(routes);
  }

  /**
   * Methods allowed on `path` (a request path without the query), in a stable order, with HEAD
   * wherever GET is (express answers HEAD with the GET route). Empty when no route matches.
   */
  allowedMethods(path: string): string[] {
    const segments = split(path.toLowerCase());
    const allowed = new Set<string>();
    for (const route of this.routes) {
      if (route.segments.length !== segments.length) continue;
      if (!route.segments.every((s, i) => s.startsWith(':') || s === segments[i])) continue;
      allowed.add(route.method);
      if (route.method === 'GET') allowed.add('HEAD');
    }
    const rank = (m: string): number => (ALL_METHODS.includes(m) ? ALL_METHODS.indexOf(m) : ALL_METHODS.length);
    return [...allowed].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  }
}
