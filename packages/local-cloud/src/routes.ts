/**
 * Pages and endpoints mounted on the local cloud's own origin beside the AWS APIs, under
 * `/_oncely/<name>` (the CLI mounts its console at `/_oncely/console`). The local cloud imports
 * nothing of whoever mounts them: a route is a plain Node.js request handler.
 *
 * A mounted route gets a request only after the HTTP guard (http-guard.ts) accepted it, exactly as
 * an AWS API request: loopback or allowed `Host`, no foreign `Origin`/`Referer`/`Sec-Fetch-Site`,
 * and a body only as `application/x-www-form-urlencoded` (the guard's rule for paths of no REST
 * service). On top of that a route is strictly same-origin: origins allowed for the AWS APIs
 * (`allowedOrigins`) are refused here too, and no CORS header is ever sent, so no other page can
 * read an answer or send a request a route would act on.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A handler mounted with `cloud.mount(prefix, route)`. */
export interface LocalRoute {
  /**
   * Answers a request for the prefix or a path below it (`/_oncely/console`, `/_oncely/console/x`).
   * Reads the body itself, if it wants one. A rejection is answered with a 500.
   */
  handle(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
  /** Called once when the route is unmounted or the local cloud stops: stop timers, end streams. */
  close?(): void | Promise<void>;
}

/** Prefixes the local cloud answers itself, or its services do. */
const RESERVED = new Set(['/_oncely/health', '/_oncely/lambda']);
const PREFIX = /^\/_oncely\/[a-z0-9][a-z0-9-]{0,62}$/;

/** The routes mounted on one local cloud; `dispatch` runs after the guard, before the AWS router. */
export class MountedRoutes {
  private readonly routes = new Map<string, LocalRoute>();

  mount(prefix: string, route: LocalRoute): () => Promise<void> {
    if (!PREFIX.test(prefix) || RESERVED.has(prefix)) {
      throw new Error(
        `cannot mount '${prefix}': a prefix is /_oncely/<name> (lower-case letters, digits, hyphens), ` +
          `not ${[...RESERVED].join(' or ')}`,
      );
    }
    if (this.routes.has(prefix)) throw new Error(`'${prefix}' is already mounted`);
    this.routes.set(prefix, route);
    return async () => {
      if (this.routes.get(prefix) !== route) return;
      this.routes.delete(prefix);
      await route.close?.();
    };
  }

  /** True when a mounted route took the request (answered, refused, or still streaming). */
  dispatch(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.routes.size === 0) return false;
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = [...this.routes].find(([prefix]) => path === prefix || path.startsWith(`${prefix}/`))?.[1];
    if (!route) return false;
    // The guard names allowed origins in CORS headers; a mounted route never does.
    for (const name of ['access-control-allow-origin', 'access-control-expose-headers', 'vary'])
      res.removeHeader(name);
    const refusal = crossOriginRefusal(req);
    if (refusal) {
      const body = JSON.stringify({ message: refusal });
      res.writeHead(403, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        connection: 'close',
      });
      res.end(body);
      return true;
    }
    Promise.resolve()
      .then(() => route.handle(req, res))
      .catch((error: unknown) => {
        console.error(`local cloud: ${path} failed`, error);
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"internal error"}');
        } else res.destroy();
      });
    return true;
  }

  async close(): Promise<void> {
    const routes = [...this.routes.values()];
    this.routes.clear();
    for (const route of routes) {
      try {
        await route.close?.();
      } catch (error) {
        console.error('local cloud: closing a mounted route failed', error);
      }
    }
  }
}

/**
 * Why a request is not same-origin, or undefined. The guard already refused foreign origins; what
 * remains are the origins allowed for the AWS APIs and a page of another name of this server
 * (`localhost` calling `127.0.0.1`), both other origins than the one the request addresses.
 */
function crossOriginRefusal(req: IncomingMessage): string | undefined {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let host: string | undefined;
    try {
      const url = new URL(origin);
      host = url.protocol === 'http:' ? url.host : undefined;
    } catch {
      host = undefined;
    }
    if (host === undefined || host !== (req.headers.host ?? '').toLowerCase())
      return 'Cross-origin request refused: only pages of this origin may use it.';
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    return 'Cross-site request refused: only pages of this origin may use it.';
  return undefined;
}
