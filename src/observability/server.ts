/**
 * `system.serve()`: one HTTP server on main for the metrics, health, actors, dead letters, errors,
 * alerts and the live dashboard (routes in routes.ts). Bound to 127.0.0.1 by default; binding
 * another address needs a token, and with a token every data route needs `Authorization: Bearer
 * <token>`. Requests whose Host header is not the bound address are refused (DNS rebinding:
 * a page elsewhere cannot reach the server through a name it controls), and state changes are
 * POST-only, with the token or, without one, a same-origin Origin header.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { TroupeError, invalidArgument, refuseUnknownKeys } from '../actors/errors.js';
import { BadRequest, Routes, send, type ServedSystem } from './routes.js';

export interface ServeOptions {
  /** Default 9464 (0: any free port; `url` says which). */
  port?: number;
  /** Default '127.0.0.1'. Any other address than loopback needs `token`. */
  host?: string;
  /** When set, every request but the dashboard page itself needs `Authorization: Bearer <token>`. */
  token?: string;
}

export interface Server {
  /** `http://<host>:<port>`: the dashboard is its root. */
  readonly url: string;
  /** Stops taking requests and ends the live streams; resolves once the server is closed. */
  close(): Promise<void>;
}

export const DEFAULT_PORT = 9464;

/** Whether `host` names this machine only. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function checkOptions(o: ServeOptions): { port: number; host: string; token: string | null } {
  if (o === null || typeof o !== 'object') throw invalidArgument('serve options', 'an object: { port, host, token }', o);
  refuseUnknownKeys('serve', o, ['port', 'host', 'token']);
  const port = o.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalidArgument('port', 'an integer from 0 to 65535', port);
  const host = o.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '') throw invalidArgument('host', 'an address or host name', host);
  const token = o.token ?? null;
  if (token !== null && (typeof token !== 'string' || token.length < 1 || /\s/.test(token))) throw invalidArgument('token', 'a non-empty string without spaces', token);
  if (!isLoopback(host) && token === null) {
    throw new TroupeError('ERR_TROUPE_UNSAFE_BIND',
      `serve({ host: ${JSON.stringify(host)} }) would let anyone who reaches that address read the system: pass a token (serve({ host, token })), or bind 127.0.0.1`);
  }
  return { port, host, token };
}

/** Starts the server for `system`; resolves once it listens. */
export async function serve(system: ServedSystem, options: ServeOptions = {}): Promise<Server> {
  const { port, host, token } = checkOptions(options);
  const routes = new Routes(system);
  let hosts = new Set<string>();
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const bad = err instanceof BadRequest;
      if (!res.headersSent) send(res, bad ? 400 : 500, { error: { code: bad ? 'ERR_TROUPE_INVALID_ARGUMENT' : 'ERR_TROUPE_INTERNAL', message: (err as Error).message } });
      else res.end();
    });
  });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    // DNS rebinding: only the names this server was bound as (any, when bound to every address).
    if (hosts.size > 0 && !hosts.has((req.headers.host ?? '').toLowerCase())) {
      send(res, 421, { error: { code: 'ERR_TROUPE_BAD_HOST', message: `Host ${JSON.stringify(req.headers.host ?? '')} is not this server's address` } });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const isPage = url.pathname === '/' || url.pathname === '/index.html';
    if (token !== null && !isPage && !authorized(req.headers.authorization, token)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      send(res, 401, { error: { code: 'ERR_TROUPE_UNAUTHORIZED', message: 'this server needs Authorization: Bearer <token>' } });
      return;
    }
    const mutating = routes.isPost(url.pathname);
    if (mutating) {
      if (method !== 'POST') { res.setHeader('Allow', 'POST'); send(res, 405, methodError('POST')); return; }
      // Without a token, only a page of this server's own origin may change state (no cross-site form posts).
      if (token === null && req.headers.origin !== `http://${req.headers.host ?? ''}`) {
        send(res, 403, { error: { code: 'ERR_TROUPE_FORBIDDEN', message: 'a state change needs a same-origin Origin header (or a token)' } });
        return;
      }
    } else if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      send(res, 405, methodError('GET'));
      return;
    }
    await routes.handle(url, req, res);
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE'
      ? new TroupeError('ERR_TROUPE_INVALID_ARGUMENT', `port ${port} is in use on ${host}: pick another, or 0 for any free port`, { cause: err })
      : err));
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as { port: number }).port;
  hosts = allowedHosts(host, bound);
  const shown = isIP(host) === 6 ? `[${host}]` : host;
  let closing: Promise<void> | null = null;
  const handleClose = {
    url: `http://${shown}:${bound}`,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        routes.close();
        server.close(() => resolve());
        server.closeAllConnections();
        system.servers.delete(handleClose);
      });
      return closing;
    },
  };
  system.servers.add(handleClose);
  return handleClose;
}

/** The Host headers this server answers to; empty (any) when bound to every address. */
function allowedHosts(host: string, port: number): Set<string> {
  if (host === '0.0.0.0' || host === '::') return new Set();
  const names = isLoopback(host) ? ['localhost', '127.0.0.1', '[::1]', host, isIP(host) === 6 ? `[${host}]` : host] : [isIP(host) === 6 ? `[${host}]` : host];
  return new Set(names.map((n) => `${n.toLowerCase()}:${port}`));
}

function authorized(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  const want = Buffer.from(`Bearer ${token}`);
  const got = Buffer.from(header);
  return got.length === want.length && timingSafeEqual(got, want);
}

function methodError(allowed: string): { error: { code: string; message: string } } {
  return { error: { code: 'ERR_TROUPE_METHOD_NOT_ALLOWED', message: `this route takes ${allowed} only` } };
}
