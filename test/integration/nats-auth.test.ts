// The bridge against servers that require credentials: user/pass, an nkey and a token, each used
// for real (names registered and found, tells and asks across two nodes, both deliveries); and
// credentials the server refuses fail start-up at once with ERR_TROUPE_NATS_AUTH, instead of
// leaving the system degraded, retrying what cannot work. (A .creds file needs a server in
// operator mode with signed JWTs: not tested here.)
import { nkeys } from '@nats-io/transport-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActorSystem, type ActorSystem } from 'troupe';
import { expectConserved, fixture, nextEvent, quiet } from '../helpers.js';
import { NatsServer, natsAvailable } from '../nats-server.js';

const haveNats = natsAvailable();

const users = (pass: string) => `authorization { users = [ { user: alice, password: "${pass}" } ] }\n`;

/** A logger that resolves `seen(n)` once n lines have contained `text`. */
function watchLog(text: string) {
  let count = 0;
  const waiting: { n: number; resolve: () => void }[] = [];
  const log = pino({ level: 'debug' }, {
    write(line: string) {
      if (process.env.SHOWLOG) process.stderr.write(line);
      if (!line.includes(text)) return;
      count++;
      for (const w of waiting.filter((x) => x.n <= count)) { waiting.splice(waiting.indexOf(w), 1); w.resolve(); }
    },
  });
  const seen = (n: number) => new Promise<void>((resolve) => { if (count >= n) resolve(); else waiting.push({ n, resolve }); });
  return { log, seen };
}

/** Start-up must fail on the refusal, long before this connect timeout (and the test's). */
const PATIENT = 120_000;

async function exchange(from: ActorSystem, to: ActorSystem, prefix: string): Promise<void> {
  await to.spawn(fixture('echo.actor'), { name: `${prefix}-echo`, expose: true });
  await to.spawn(fixture('counter.actor'), { name: `${prefix}-counter`, expose: true });
  const echo = await from.resolve(`${prefix}-echo`, { timeoutMs: 10_000 });
  const counter = await from.resolve(`${prefix}-counter`, { timeoutMs: 10_000 });
  expect(echo).not.toBeNull();
  expect(counter).not.toBeNull();
  expect(await echo!.ask({ type: 'echo', value: 'at-least-once' }, { timeoutMs: 10_000 })).toBe('at-least-once');
  expect(await echo!.ask({ type: 'echo', value: 'at-most-once' }, { timeoutMs: 10_000, delivery: 'at-most-once' })).toBe('at-most-once');
  for (let i = 0; i < 200; i++) counter!.tell({ type: 'inc' });
  expect(await counter!.ask({ type: 'get' }, { timeoutMs: 10_000 })).toBe(200);
}

describe.skipIf(!haveNats)('a NATS server with users (user/pass and nkey)', () => {
  const user = nkeys.createUser();
  const seed = new TextDecoder().decode(user.getSeed());
  let server: NatsServer;
  let a: ActorSystem;
  let b: ActorSystem;

  beforeAll(async () => {
    server = await NatsServer.start({
      config: `authorization { users = [ { user: alice, password: "s3cret" }, { nkey: ${user.getPublicKey()} } ] }\n`,
    });
    a = await createActorSystem({ name: 'auth-a', node: 'auth-a', workers: 1, logger: quiet, nats: { servers: server.url, user: 'alice', pass: 's3cret' } });
    b = await createActorSystem({ name: 'auth-b', node: 'auth-b', workers: 1, logger: quiet, nats: { servers: server.url, nkey: seed } });
  });

  afterAll(async () => {
    await a?.shutdown({ timeoutMs: 3000 });
    await b?.shutdown({ timeoutMs: 3000 });
    await server?.stop();
  });

  it('a node with user/pass and a node with an nkey find each other and exchange tells and asks', async () => {
    expect(a.health().status).toBe('healthy');
    expect(b.health().status).toBe('healthy');
    await exchange(a, b, 'up');
    await exchange(b, a, 'down');
    await expectConserved(a);
    await expectConserved(b);
  });

  it.each([
    ['a wrong password', { user: 'alice', pass: 'wrong' }, 'nats.user/pass'],
    ['an unknown nkey', { nkey: new TextDecoder().decode(nkeys.createUser().getSeed()) }, 'nats.nkey'],
    ['no credentials', {}, 'no credentials'],
  ])('%s fails start-up at once with ERR_TROUPE_NATS_AUTH', async (_what, auth, named) => {
    const start = createActorSystem({ name: 'auth-x', node: 'auth-x', workers: 1, logger: quiet, nats: { servers: server.url, connectTimeoutMs: PATIENT, ...auth } });
    const err = await start.then(() => null, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_TROUPE_NATS_AUTH' });
    expect((err as Error).message).toContain(named);
    expect((err as Error).message).toContain(server.url);
  });
});

describe.skipIf(!haveNats)('a NATS server with a token', () => {
  let server: NatsServer;
  let a: ActorSystem;
  let b: ActorSystem;

  beforeAll(async () => {
    server = await NatsServer.start({ config: 'authorization { token: "t0ken-for-tests" }\n' });
    const nats = { servers: server.url, token: 't0ken-for-tests' };
    a = await createActorSystem({ name: 'tok-a', node: 'tok-a', workers: 1, logger: quiet, nats });
    b = await createActorSystem({ name: 'tok-b', node: 'tok-b', workers: 1, logger: quiet, nats });
  });

  afterAll(async () => {
    await a?.shutdown({ timeoutMs: 3000 });
    await b?.shutdown({ timeoutMs: 3000 });
    await server?.stop();
  });

  it('two nodes with the token exchange tells and asks', async () => {
    await exchange(a, b, 'tok');
    await expectConserved(a);
    await expectConserved(b);
  });

  it('a wrong token fails start-up at once with ERR_TROUPE_NATS_AUTH', async () => {
    const start = createActorSystem({ name: 'tok-x', node: 'tok-x', workers: 1, logger: quiet, nats: { servers: server.url, token: 'nope', connectTimeoutMs: PATIENT } });
    await expect(start).rejects.toMatchObject({ code: 'ERR_TROUPE_NATS_AUTH' });
  });
});

describe.skipIf(!haveNats)('credentials refused after start-up', () => {
  it('a node that started degraded keeps trying while the server refuses it, and connects once it accepts', async () => {
    const server = await NatsServer.create({ config: users('not-yet') }); // not running yet
    const { log, seen } = watchLog('our credentials');
    const c = await createActorSystem({ name: 'late', node: 'auth-late', workers: 1, logger: log, nats: { servers: server.url, user: 'alice', pass: 's3cret', connectTimeoutMs: 200 } });
    try {
      expect(c.health()).toMatchObject({ status: 'degraded', nats: { connected: false } });
      await server.run();
      await seen(1);
      expect(c.health().reasons.join()).toContain('ERR_TROUPE_NATS_AUTH');
      const up = nextEvent(c, 'nats', (e) => e.connected);
      server.reload(users('s3cret'));
      await up;
      expect(c.health().status).toBe('healthy');
    } finally {
      await c.shutdown({ timeoutMs: 3000 });
      await server.stop();
    }
  });

  it('a node whose credentials are revoked, refused twice and restored reconnects, and nothing is lost', async () => {
    // alice's password changes while she is connected, then changes back; bob's stays.
    const aliceAndBob = (pass: string) => `authorization { users = [ { user: alice, password: "${pass}" }, { user: bob, password: "b0b" } ] }\n`;
    const server = await NatsServer.start({ config: aliceAndBob('s3cret') });
    const { log, seen } = watchLog('our credentials');
    const nats = { servers: server.url, retryMs: 50, publishTimeoutMs: 500 };
    const c = await createActorSystem({ name: 'revoked', node: 'auth-revoked', workers: 1, logger: log, nats: { ...nats, user: 'alice', pass: 's3cret' } });
    const d = await createActorSystem({ name: 'other', node: 'auth-other', workers: 1, logger: quiet, nats: { ...nats, user: 'bob', pass: 'b0b' } });
    try {
      await d.spawn(fixture('counter.actor'), { name: 'revoked-counter', expose: true });
      const counter = (await c.resolve('revoked-counter', { timeoutMs: 10_000 }))!;
      const down = nextEvent(c, 'nats', (e) => !e.connected);
      // The reload disconnects alice (her password changed); bob stays.
      server.reload(aliceAndBob('changed'));
      await down;
      // nats.js gives up on a connection after two refusals in a row unless told not to.
      await seen(2);
      for (let i = 0; i < 100; i++) counter.tell({ type: 'inc' });
      expect(c.health().nats).toMatchObject({ connected: false, outbox: 100 });
      const up = nextEvent(c, 'nats', (e) => e.connected);
      server.reload(aliceAndBob('s3cret'));
      await up;
      expect(await counter.ask({ type: 'get' }, { timeoutMs: 10_000 })).toBe(100);
      await expectConserved(c);
    } finally {
      await c.shutdown({ timeoutMs: 3000 });
      await d.shutdown({ timeoutMs: 3000 });
      await server.stop();
    }
  });
});
