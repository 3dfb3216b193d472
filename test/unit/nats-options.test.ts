// nats.* options are checked when the system is created: a mistake fails createActorSystem with
// ERR_TROUPE_INVALID_ARGUMENT naming the option, instead of a system that starts degraded as if
// NATS were down. (Nothing connects: no server is needed. A short connectTimeoutMs keeps a
// system that wrongly starts from waiting long.)
import { nkeys } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { createActorSystem, type NatsOptions } from 'troupe';

const quiet = { level: 'silent' } as const;
const url = 'nats://127.0.0.1:1';

/** createActorSystem with these nats options: the error it fails with (or null, after shutting down a system that started). */
async function failure(nats: Record<string, unknown>): Promise<unknown> {
  try {
    const system = await createActorSystem({ workers: 1, logger: quiet, node: 'opts', nats: { connectTimeoutMs: 100, ...nats } as unknown as NatsOptions });
    await system.shutdown({ timeoutMs: 1000 });
    return null;
  } catch (err) {
    return err;
  }
}

describe('nats options', () => {
  it('refuses unknown keys under nats, naming them', async () => {
    const err = await failure({ servers: url, conectTimeoutMs: 100, retry: 5 });
    expect(err).toMatchObject({ code: 'ERR_TROUPE_INVALID_ARGUMENT' });
    expect((err as Error).message).toContain('nats.conectTimeoutMs');
    expect((err as Error).message).toContain('nats.retry');
  });

  it.each([
    ['not a url'], ['http://127.0.0.1:4222'], ['nats://'], ['nats://host:4222/path'], [''], [['nats://127.0.0.1:4222', 'not a url']], [42],
  ])('refuses servers %j', async (servers) => {
    const err = await failure({ servers });
    expect(err).toMatchObject({ code: 'ERR_TROUPE_INVALID_ARGUMENT' });
    expect((err as Error).message).toContain('nats.servers');
  });

  it('refuses an nkey that is not a user seed, without showing it', async () => {
    const account = new TextDecoder().decode(nkeys.createAccount().getSeed());
    const user = new TextDecoder().decode(nkeys.createUser().getSeed());
    // One character changed inside the key (the last one may be only padding bits): its checksum fails.
    const broken = `${user.slice(0, 10)}${user[10] === 'A' ? 'B' : 'A'}${user.slice(11)}`;
    for (const nkey of ['SUxyz', account, broken, '']) {
      const err = await failure({ servers: url, nkey });
      expect(err).toMatchObject({ code: 'ERR_TROUPE_INVALID_ARGUMENT' });
      expect((err as Error).message).toContain('nats.nkey');
      if (nkey.length > 10) expect((err as Error).message).not.toContain(nkey.slice(5, 20));
    }
  });

  const numeric = ['maxDeliver', 'ackWaitMs', 'retryMs', 'outboxCapacity', 'maxPayloadBytes', 'connectTimeoutMs', 'publishTimeoutMs', 'backlogGraceMs'];
  it.each(numeric)('checks nats.%s: an integer within its range', async (name) => {
    for (const bad of [-1, 1.5, '100', Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, null]) {
      const err = await failure({ servers: url, [name]: bad });
      expect(err, `${name}: ${String(bad)}`).toMatchObject({ code: 'ERR_TROUPE_INVALID_ARGUMENT' });
      expect((err as Error).message).toContain(`nats.${name}`);
    }
  });

  it('checks the types of the credentials and TLS options', async () => {
    for (const [name, bad] of [['user', 1], ['pass', 1], ['token', ''], ['creds', 5], ['tls', 'yes'], ['prefix', 'a.b']] as const) {
      const err = await failure({ servers: url, user: 'u', pass: 'p', [name]: bad });
      expect(err, name).toMatchObject({ code: 'ERR_TROUPE_INVALID_ARGUMENT' });
      expect((err as Error).message).toContain(`nats.${name}`);
    }
  });

  it('accepts every documented form of a server URL, and backlogGraceMs 0', async () => {
    for (const servers of ['nats://127.0.0.1:1', '127.0.0.1:1', 'localhost:1', 'tls://127.0.0.1:1', ['nats://a:b@127.0.0.1:1', 'nats://[::1]:1']]) {
      await expect(failure({ servers, backlogGraceMs: 0 })).resolves.toBeNull();
    }
  });
});
