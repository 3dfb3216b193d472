// system.serve() and alerts with NATS (a real nats-server): alerts are published on
// <prefix>.alerts.<severity>, /metrics has the NATS gauges, /errors totals come from the error
// stream, and POST /dead-letters/replay replays the dead-letter stream (with the token).
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActorSystem, type ActorSystem, type ErrorTotals, type ObservabilityServer } from 'troupe';
import { deadLetters, fixture, quiet, until } from '../helpers.js';
import { NatsServer, natsAvailable } from '../nats-server.js';

const haveNats = natsAvailable();

describe.skipIf(!haveNats)('observability with NATS', () => {
  let server: NatsServer;
  let system: ActorSystem;
  let http: ObservabilityServer;
  let nc: NatsConnection;
  const auth = { authorization: 'Bearer nats-t0ken' };

  beforeAll(async () => {
    server = await NatsServer.start();
    system = await createActorSystem({ name: 'observed-nats', node: 'o-a', workers: 1, logger: quiet, nats: { servers: server.url, retryMs: 50, publishTimeoutMs: 500 } });
    http = await system.serve({ port: 0, token: 'nats-t0ken' });
    nc = await connect({ servers: server.url });
  });
  afterAll(async () => {
    await nc?.close();
    await system?.shutdown({ timeoutMs: 3000 });
    await server?.stop();
  });

  it('publishes an alert firing on <prefix>.alerts.<severity>, and has the NATS gauges in /metrics', async () => {
    const sub = nc.subscribe('troupe.alerts.>');
    const published = (async () => {
      for await (const m of sub) {
        const a = JSON.parse(new TextDecoder().decode(m.data)) as { name: string; state: string };
        if (a.name === 'breaker-open' && a.state === 'firing') return { subject: m.subject, alert: a };
      }
      throw new Error('the subscription ended');
    })();
    await nc.flush();
    const flaky = await system.spawn(fixture('worker.actor'), { name: 'flaky', circuitBreaker: { failureThreshold: 3, windowMs: 60_000, resetTimeoutMs: 60_000 } });
    for (let i = 0; i < 3; i++) await flaky.ask({ type: 'fail', category: 'validation' }).catch(() => {});
    const { subject, alert } = await published;
    sub.unsubscribe();
    expect(subject).toBe('troupe.alerts.warning');
    expect(alert).toMatchObject({ name: 'breaker-open', severity: 'warning', state: 'firing', node: 'o-a' });
    const text = await (await fetch(`${http.url}/metrics`, { headers: auth })).text();
    expect(text).toMatch(/^troupe_nats_connected 1$/m);
    expect(text).toMatch(/^troupe_nats_outbox_messages \d+$/m);
  }, 20_000);

  it('/errors totals come from the error stream; POST /dead-letters/replay replays the stream', async () => {
    // The three failures above are error events, kept in the stream a moment later.
    await until(() => system.errors.recent({ actor: '/user/flaky' }), (e) => e.length >= 3, 10_000);
    const errors = await (await fetch(`${http.url}/errors`, { headers: auth })).json() as { totals: ErrorTotals; recent: unknown[] };
    expect(errors.totals.source).toBe('nats');
    expect(errors.totals.total).toBeGreaterThanOrEqual(3);
    expect(errors.totals.byActor['/user/flaky']).toBeGreaterThanOrEqual(3);
    expect(errors.totals.byCategory.validation).toBeGreaterThanOrEqual(3);
    // A message to the open breaker is dead-lettered circuit-open, and stored in the stream.
    const flaky = system.lookup('flaky')!;
    const dl = deadLetters(system, 'circuit-open', 1);
    flaky.tell({ type: 'inc' });
    await dl;
    await until(() => system.deadLetters.stored({ reason: 'circuit-open' }), (d) => d.length >= 1, 10_000);
    expect((await fetch(`${http.url}/dead-letters/replay`, { method: 'POST' })).status).toBe(401);
    const r = await fetch(`${http.url}/dead-letters/replay`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'circuit-open' }) });
    expect(r.status).toBe(200);
    const replay = await r.json() as { replayed: number; skipped: number };
    expect(replay.replayed + replay.skipped).toBeGreaterThanOrEqual(1);
    const bad = await fetch(`${http.url}/dead-letters/replay`, { method: 'POST', headers: auth, body: '{"limit": -1}' });
    expect(bad.status).toBe(400);
    const dash = await (await fetch(`${http.url}/dead-letters`, { headers: auth })).json() as { replay: boolean; byReason: Record<string, number> };
    expect(dash.replay).toBe(true);
    expect(dash.byReason['circuit-open']).toBeGreaterThanOrEqual(1);
  }, 20_000);
});
