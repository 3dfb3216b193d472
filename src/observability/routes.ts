/**
 * The observability server's routes (server.ts checks Host, token and method first): the
 * dashboard page, Prometheus metrics, health, actors, dead letters (and their replay), errors,
 * alerts, and `GET /live`, the dashboard's stream (server-sent events: a `snapshot` a second, and
 * one soon after each supervision event, while anyone listens).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TroupeError } from '../actors/errors.js';
import type { DeadLetterFilter, DeadLetters } from '../runtime/main/dead-letters.js';
import type { SupervisionEvents } from '../supervision/events.js';
import type { Alerts } from './alerts.js';
import { dashboardHtml } from './dashboard.js';
import { Metrics } from './metrics.js';
import { DEFAULT_ACTOR_LIMIT, type Observatory } from './observatory.js';

/** What the server sees of the system (Main). */
export interface ServedSystem {
  readonly observatory: Observatory;
  readonly alerts: Alerts;
  readonly deadLetters: DeadLetters;
  readonly events: SupervisionEvents;
  readonly servers: Set<{ close(): Promise<void> }>;
}

const LIVE_INTERVAL_MS = 1000;
/** After a supervision event, the next snapshot goes out this soon (events come in bursts). */
const LIVE_EVENT_DELAY_MS = 50;

const PAGE_POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export class Routes {
  private readonly metrics: Metrics;
  private readonly live: LiveFeed;

  constructor(private readonly system: ServedSystem) {
    this.metrics = new Metrics(system.observatory);
    this.live = new LiveFeed(system);
  }

  isPost(path: string): boolean {
    return path === '/dead-letters/replay';
  }

  close(): void {
    this.live.close();
  }

  async handle(url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const o = this.system.observatory;
    const q = url.searchParams;
    switch (url.pathname) {
      case '/':
      case '/index.html': {
        const html = dashboardHtml();
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': PAGE_POLICY, 'Content-Length': Buffer.byteLength(html) });
        res.end(html);
        return;
      }
      case '/metrics': {
        const text = await this.metrics.text();
        res.writeHead(200, { 'Content-Type': this.metrics.contentType });
        res.end(text);
        return;
      }
      case '/health': {
        const h = o.counts().health;
        send(res, h.status === 'critical' || h.status === 'stopped' ? 503 : 200, h);
        return;
      }
      case '/health/live': {
        const h = o.counts().health;
        send(res, h.status === 'stopped' ? 503 : 200, { status: h.status === 'stopped' ? 'stopped' : 'live' });
        return;
      }
      case '/health/ready': {
        const h = o.counts().health;
        const ready = h.status === 'healthy' || h.status === 'degraded';
        send(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not-ready', health: h.status, reasons: h.reasons });
        return;
      }
      case '/actors': {
        const limit = integer(q.get('limit'), DEFAULT_ACTOR_LIMIT, 0, 10_000, 'limit');
        send(res, 200, await o.actors(limit));
        return;
      }
      case '/dead-letters':
        send(res, 200, o.deadLetters(integer(q.get('limit'), 50, 0, 10_000, 'limit')));
        return;
      case '/errors':
        send(res, 200, await o.errors(integer(q.get('limit'), 50, 0, 1_000, 'limit')));
        return;
      case '/alerts': {
        const a = this.system.alerts;
        send(res, 200, { active: a.active(), history: a.history({ limit: integer(q.get('limit'), 100, 0, 1000, 'limit') }) });
        return;
      }
      case '/live':
        this.live.add(res);
        return;
      case '/dead-letters/replay': {
        const filter = await replayFilter(req);
        try {
          send(res, 200, await this.system.deadLetters.replay(filter));
        } catch (err) {
          const code = err instanceof TroupeError ? err.code : 'ERR_TROUPE_INTERNAL';
          send(res, code === 'ERR_TROUPE_NODE_UNREACHABLE' ? 409 : 500, { error: { code, message: (err as Error).message } });
        }
        return;
      }
      default:
        send(res, 404, { error: { code: 'ERR_TROUPE_NOT_FOUND', message: `no route ${url.pathname}: see / for the dashboard` } });
    }
  }
}

/** A query parameter as an integer in [min, max]; a bad one is a 400 (thrown, answered by the caller). */
function integer(v: string | null, fallback: number, min: number, max: number, name: string): number {
  if (v === null || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new BadRequest(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

export class BadRequest extends Error {}

/** The replay's filter, from a JSON body (optional): { reason, target, since, limit }. */
async function replayFilter(req: IncomingMessage): Promise<DeadLetterFilter> {
  let body = '';
  for await (const chunk of req) {
    body += chunk as string;
    if (body.length > 64 * 1024) throw new BadRequest('body too large');
  }
  if (body.trim() === '') return {};
  let f: unknown;
  try { f = JSON.parse(body); } catch { throw new BadRequest('the body must be JSON: { reason, target, since, limit }'); }
  if (f === null || typeof f !== 'object' || Array.isArray(f)) throw new BadRequest('the body must be a JSON object: { reason, target, since, limit }');
  const { reason, target, since, limit } = f as Record<string, unknown>;
  const out: DeadLetterFilter = {};
  if (reason !== undefined) { if (typeof reason !== 'string') throw new BadRequest('reason: a string'); out.reason = reason; }
  if (target !== undefined) { if (typeof target !== 'string') throw new BadRequest('target: a string'); out.target = target; }
  if (since !== undefined) { if (typeof since !== 'number') throw new BadRequest('since: epoch ms'); out.since = since; }
  if (limit !== undefined) { if (!Number.isInteger(limit) || (limit as number) < 1) throw new BadRequest('limit: a positive integer'); out.limit = limit as number; }
  return out;
}

/** The dashboard's live stream: one snapshot computed for every listener, a second apart, and soon after events. */
class LiveFeed {
  private readonly clients = new Set<ServerResponse>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private soon: ReturnType<typeof setTimeout> | null = null;
  private unsubscribe: (() => void) | null = null;
  private busy = false;
  /** A push was asked for while a snapshot was being made: another follows it. */
  private again = false;

  constructor(private readonly system: ServedSystem) {}

  add(res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
    res.write(': troupe live\n\n');
    this.clients.add(res);
    res.on('close', () => {
      this.clients.delete(res);
      if (this.clients.size === 0) this.stop();
    });
    if (this.timer === null) {
      this.timer = setInterval(() => this.push(), LIVE_INTERVAL_MS);
      this.unsubscribe = this.system.events.subscribe(() => {
        this.soon ??= setTimeout(() => { this.soon = null; this.push(); }, LIVE_EVENT_DELAY_MS);
      });
    }
    this.push();
  }

  close(): void {
    for (const res of this.clients) res.end();
    this.clients.clear();
    this.stop();
  }

  private stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    if (this.soon !== null) clearTimeout(this.soon);
    this.unsubscribe?.();
    this.timer = null;
    this.soon = null;
    this.unsubscribe = null;
  }

  private push(): void {
    if (this.clients.size === 0) return;
    if (this.busy) { this.again = true; return; }
    this.busy = true;
    this.system.observatory.snapshot().then((snap) => {
      const frame = `event: snapshot\ndata: ${JSON.stringify(snap)}\n\n`;
      for (const res of this.clients) res.write(frame);
    }, () => { /* the system is stopping: the next push tries again */ }).finally(() => {
      this.busy = false;
      if (this.again) { this.again = false; this.push(); }
    });
  }
}

/** Sends `body` as JSON. */
export function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
