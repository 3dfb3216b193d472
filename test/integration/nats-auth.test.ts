// The bridge against servers that require credentials: user/pass, an nkey and a token, each used
// for real (names registered and found, tells and asks across two nodes, both deliveries); and
// credentials the server refuses fail start-up at once with ERR_TROUPE_NATS_AUTH, instead of
// leaving the system degraded, retrying what cannot work. (A .creds file needs a server in
// operator mode with signed JWTs: not tested here.)
import { nkeys } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActorSystem, type ActorSystem } from 'troupe';
import { expectConserved, fixture, quiet } from '../helpers.js';
import { NatsServer, natsAvailable } from '../nats-server.js';

const haveNats = natsAvailable();

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
