// system.serve(): the metrics agree with stats(), health follows a breaker open and closed (503
// when critical), an alert fires and resolves with the breaker, /actors shows the busiest actors
// and their subtrees, and the server refuses what it must (no token, a foreign Host, a GET that
// would change state, a non-loopback bind without a token).
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActorSystem, type ActorSystem, type Alert, type ObservabilityServer } from 'troupe';
import { fixture, quiet, until } from '../helpers.js';

const breaker = { failureThreshold: 3, windowMs: 60_000, resetTimeoutMs: 100, halfOpenProbes: 1 };

/** GET `path` with raw headers (fetch may not set Host). */
function get(url: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url + path, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    }).on('error', reject);
  });
}

async function json<T>(url: string, path: string): Promise<{ status: number; body: T }> {
  const r = await fetch(url + path);
  return { status: r.status, body: (await r.json()) as T };
}

/** Parses Prometheus text exposition: sample name{labels} → value; throws on a line that is not one. */
function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$/;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = sample.exec(line);
    if (m === null) throw new Error(`not Prometheus text: ${JSON.stringify(line)}`);
    out.set(m[1]! + (m[2] ?? ''), Number(m[3]));
  }
  return out;
}

/** Resolves with the next alert for which `match` holds. */
function nextAlert(system: ActorSystem, match: (a: Alert) => boolean): Promise<Alert> {
  return new Promise((resolve) => {
    const off = system.alerts.subscribe((a) => { if (match(a)) { off(); resolve(a); } });
  });
}

describe('system.serve()', () => {
  let system: ActorSystem;
  let server: ObservabilityServer;

  beforeAll(async () => {
    system = await createActorSystem({ name: 'observed', workers: 2, logger: quiet, healthWindowMs: 300 });
    server = await system.serve({ port: 0 });
  });
  afterAll(async () => { await system.shutdown(); });

  it('binds 127.0.0.1 and serves /metrics as Prometheus text whose counts agree with stats()', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const counter = await system.spawn(fixture('counter.actor'));
    for (let i = 0; i < 500; i++) counter.tell({ type: 'inc' });
    expect(await counter.ask({ type: 'get' })).toBe(500);
    const r = await fetch(`${server.url}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await r.text();
    const m = parsePrometheus(text);
    const s = await system.stats();
    expect(m.get('troupe_messages_processed_total')).toBe(s.processed);
    expect(m.get('troupe_messages_sent_total')).toBe(s.sent);
    expect(m.get('troupe_actors')).toBe(s.actors);
    expect(m.get('troupe_workers')).toBe(2);
    expect(m.get('troupe_health_status')).toBe(0);
    expect(m.get('troupe_actor_messages_handled_total{actor_type="counter.actor"}')).toBe(501);
    expect(m.get('troupe_mailbox_messages{actor_type="counter.actor"}')).toBe(0);
    // The sampled histogram: 501 messages, about one in 64 timed (at most one a turn, 64 apart).
    const timed = m.get('troupe_handler_duration_seconds_count{actor_type="counter.actor"}')!;
    expect(timed).toBeGreaterThanOrEqual(1);
    expect(timed).toBeLessThanOrEqual(Math.ceil(501 / 64));
    expect(m.get('troupe_handler_duration_seconds_bucket{actor_type="counter.actor",le="+Inf"}')).toBe(timed);
    expect(text).toContain('# TYPE troupe_handler_duration_seconds histogram');
    // Labels are actor types, never paths; without NATS there are no NATS metrics.
    expect(text).not.toContain('/user/');
    expect(text).not.toContain('troupe_nats_connected');
    await system.stop(counter);
  });

  it('follows a breaker: /health healthy → degraded → healthy, and the breaker-open alert fires, shows, and resolves', async () => {
    const b = await system.spawn(fixture('worker.actor'), { name: 'flaky', circuitBreaker: breaker });
    const healthy = await until(() => json<{ status: string }>(server.url, '/health'), (h) => h.body.status === 'healthy', 5000);
    expect(healthy).toMatchObject({ status: 200, body: { status: 'healthy' } });
    const fired = nextAlert(system, (a) => a.name === 'breaker-open' && a.state === 'firing');
    // Validation errors are resumed: only the breaker counts them.
    for (let i = 0; i < 3; i++) await b.ask({ type: 'fail', category: 'validation' }).catch(() => {});
    const alert = await fired;
    expect(alert).toMatchObject({ severity: 'warning', resolvedAt: null });
    expect(alert.message).toMatch(/circuit breaker\(s\) open/);
    expect(system.alerts.active().map((a) => a.name)).toContain('breaker-open');
    const alerts = await json<{ active: Alert[] }>(server.url, '/alerts');
    expect(alerts.body.active.map((a) => a.name)).toContain('breaker-open');
    const degraded = await json<{ status: string; reasons: string[] }>(server.url, '/health');
    expect(degraded.status).toBe(200);
    expect(degraded.body.status).toBe('degraded');
    const actors = await json<{ actors: { path: string; breaker: string | null }[] }>(server.url, '/actors');
    expect(actors.body.actors.find((a) => a.path === b.path)?.breaker).toMatch(/open|half-open/);
    // Half-open after 100 ms; a good message closes it.
    const resolved = nextAlert(system, (a) => a.name === 'breaker-open' && a.state === 'resolved');
    await until(async () => b.ask({ type: 'ok' }).then(() => true, () => false), (ok) => ok, 5000);
    const done = await resolved;
    expect(done.resolvedAt).toBeGreaterThanOrEqual(done.firedAt);
    expect(system.alerts.active().map((a) => a.name)).not.toContain('breaker-open');
    expect(system.alerts.history({ limit: 5 })[0]).toMatchObject({ name: 'breaker-open', state: 'resolved' });
    const back = await until(() => json<{ status: string }>(server.url, '/health'), (h) => h.body.status === 'healthy', 5000);
    expect(back.body.status).toBe('healthy');
    await system.stop(b);
  });

  it('/actors lists the busiest actors first, with their worker, type, parent and subtree counts, up to limit', async () => {
    const parent = await system.spawn(fixture('parent.actor'), { name: 'tree' });
    expect(await parent.ask({ type: 'spawn-many', count: 3 })).toBe(3);
    const r = await json<{ total: number; actors: { path: string; type: string; worker: number; parent: string | null; children: number; subtree: number }[]; workers: unknown[] }>(server.url, '/actors?limit=500');
    expect(r.status).toBe(200);
    const me = r.body.actors.find((a) => a.path === parent.path)!;
    expect(me).toMatchObject({ type: 'parent.actor', parent: null });
    expect(me.worker).toBeGreaterThanOrEqual(0);
    expect(me).toMatchObject({ children: 3, subtree: 3 });
    const leaves = r.body.actors.filter((a) => a.parent === parent.path);
    expect(leaves).toHaveLength(3);
    expect(leaves.every((a) => a.type === 'leaf.actor' && a.worker === me.worker)).toBe(true);
    expect(r.body.total).toBeGreaterThanOrEqual(r.body.actors.length);
    expect(r.body.workers).toHaveLength(2);
    const one = await json<{ actors: unknown[] }>(server.url, '/actors?limit=1');
    expect(one.body.actors).toHaveLength(1);
    expect((await get(server.url, '/actors?limit=x')).status).toBe(400);
    await system.stop(parent);
    // A pool actor is a row of its own, on no host worker.
    const pool = await system.spawnPool(fixture('busy.pool'), { name: 'crunch', size: 1 });
    await pool.ask({ ms: 1 });
    const withPool = await json<{ actors: { path: string; type: string; worker: number; processed: number }[] }>(server.url, '/actors');
    expect(withPool.body.actors.find((a) => a.type === 'pool:crunch')).toMatchObject({ path: 'pool:crunch', worker: -1, processed: 1 });
  });

  it('refuses a foreign Host, a GET to a state change, and a POST without a same-origin Origin', async () => {
    expect((await get(server.url, '/health', { host: 'evil.example:80' })).status).toBe(421);
    expect((await get(server.url, '/dead-letters/replay')).status).toBe(405);
    expect((await fetch(`${server.url}/dead-letters/replay`, { method: 'POST' })).status).toBe(403);
    // Same origin, but no NATS: replay cannot be done, and says why.
    const r = await fetch(`${server.url}/dead-letters/replay`, { method: 'POST', headers: { origin: server.url } });
    expect(r.status).toBe(409);
    expect(await r.json()).toMatchObject({ error: { code: 'ERR_TROUPE_NODE_UNREACHABLE' } });
    expect((await get(server.url, '/nope')).status).toBe(404);
  });

  it('serves the dashboard page at / and a live stream of snapshots at /live', async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);
    const ctrl = new AbortController();
    const live = await fetch(`${server.url}/live`, { signal: ctrl.signal });
    expect(live.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = live.body!.getReader();
    let text = '';
    while (!/\n\n(event: snapshot\ndata: .*\n\n)/s.test(`\n\n${text}`)) text += new TextDecoder().decode((await reader.read()).value);
    const data = /data: (.*)\n/.exec(text)![1]!;
    const snap = JSON.parse(data) as { system: string; health: { status: string }; actors: { workers: unknown[] } };
    expect(snap.system).toBe('observed');
    expect(snap.actors.workers).toHaveLength(2);
    ctrl.abort();
  });
});

describe('system.serve() while critical', () => {
  it('/health is 503 and /health/ready says not ready; the health-critical alert fires', async () => {
    const system = await createActorSystem({ name: 'critical', workers: 1, logger: quiet, healthWindowMs: 60_000 });
    try {
      const { url } = await system.serve({ port: 0 });
      // A top-level actor allowed no restart: its failure escalates past the top (critical for the window).
      const doomed = await system.spawn(fixture('worker.actor'), { supervision: { maxRestarts: 0, withinMs: 60_000, maxRetries: 0 } });
      const critical = nextAlert(system, (a) => a.name === 'health-critical' && a.state === 'firing');
      const escalated = new Promise<void>((resolve) => {
        const off = system.events.subscribe((e) => { if (e.type === 'escalate') { off(); resolve(); } });
      });
      doomed.tell({ type: 'fail' });
      await escalated;
      const h = await until(() => json<{ status: string; reasons: string[] }>(url, '/health'), (x) => x.body.status === 'critical', 5000);
      expect(h.status).toBe(503);
      expect(h.body.reasons.join(' ')).toMatch(/escalated/);
      expect(await critical).toMatchObject({ severity: 'critical', state: 'firing' });
      expect(await json(url, '/health/ready')).toMatchObject({ status: 503, body: { status: 'not-ready', health: 'critical' } });
      expect(await json(url, '/health/live')).toMatchObject({ status: 200, body: { status: 'live' } });
      const m = parsePrometheus(await (await fetch(`${url}/metrics`)).text());
      expect(m.get('troupe_health_status')).toBe(2);
    } finally {
      await system.shutdown();
    }
  });
});

describe('alert rules on the health window', () => {
  it("fires 'failures' once at least 100 handler failures, over 1 % of the messages, fall within the window", async () => {
    const system = await createActorSystem({ name: 'failing', workers: 1, logger: quiet, healthWindowMs: 60_000 });
    try {
      const flaky = await system.spawn(fixture('worker.actor'));
      const fired = nextAlert(system, (a) => a.name === 'failures' && a.state === 'firing');
      // Validation errors are resumed: the actor lives on.
      for (let i = 0; i < 100; i++) await flaky.ask({ type: 'fail', category: 'validation' }).catch(() => {});
      expect((await fired).message).toMatch(/^1\d\d handler failure\(s\) within 60000 ms$/);
      expect(system.alerts.active().map((a) => a.name)).toContain('failures');
    } finally {
      await system.shutdown();
    }
  });
});

describe('system.serve() with a token', () => {
  it('refuses requests without it, takes them with it, and serves the page itself without it', async () => {
    const system = await createActorSystem({ name: 'guarded', workers: 1, logger: quiet });
    try {
      const { url, close } = await system.serve({ port: 0, token: 's3cret' });
      const no = await get(url, '/health');
      expect(no.status).toBe(401);
      expect(JSON.parse(no.body)).toMatchObject({ error: { code: 'ERR_TROUPE_UNAUTHORIZED' } });
      expect((await get(url, '/metrics', { authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await get(url, '/live', { authorization: 'Bearer s3cre' })).status).toBe(401);
      expect((await get(url, '/health', { authorization: 'Bearer s3cret' })).status).toBe(200);
      expect((await get(url, '/')).status).toBe(200);
      await close();
      await expect(fetch(`${url}/health`)).rejects.toThrow();
    } finally {
      await system.shutdown();
    }
  });

  it('will not bind another address than loopback without a token, and checks its options', async () => {
    const system = await createActorSystem({ name: 'exposed', workers: 1, logger: quiet });
    try {
      await expect(system.serve({ host: '0.0.0.0', port: 0 })).rejects.toMatchObject({ code: 'ERR_TROUPE_UNSAFE_BIND' });
      await expect(system.serve({ port: -1 })).rejects.toMatchObject({ code: 'ERR_TROUPE_INVALID_ARGUMENT' });
      await expect(system.serve({ port: 0, token: '' })).rejects.toMatchObject({ code: 'ERR_TROUPE_INVALID_ARGUMENT' });
      await expect(system.serve({ port: 0, colour: 'red' } as never)).rejects.toMatchObject({ code: 'ERR_TROUPE_INVALID_ARGUMENT' });
      // With a token, any address: only loopback is touched here.
      const s = await system.serve({ host: '0.0.0.0', port: 0, token: 't' });
      expect(s.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
      const port = new URL(s.url).port;
      expect((await get(`http://127.0.0.1:${port}`, '/health', { authorization: 'Bearer t' })).status).toBe(200);
      // shutdown() closes it.
    } finally {
      await system.shutdown();
    }
  });
});
