// The JetStream bridge (issue 4): two nodes, each its own process and actor system, joined by a
// real nats-server this file starts (free loopback port, temp store, stopped by PID).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActorSystem, type ActorSystem } from 'troupe';
import { expectConserved, fixture, quiet } from '../helpers.js';
import { NatsServer, natsAvailable } from '../nats-server.js';

const haveNats = natsAvailable();

/** The other node: a child process driven over IPC. */
class OtherNode {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  readonly exited: Promise<number | null>;

  private constructor(readonly proc: ChildProcess) {
    proc.on('message', (m: { id?: number; ok?: boolean; value?: unknown; error?: { message: string; code?: string } }) => {
      if (m.id === undefined) return;
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.ok) p?.resolve(m.value);
      else p?.reject(Object.assign(new Error(m.error!.message), { code: m.error!.code }));
    });
    this.exited = new Promise((resolve) => proc.once('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`node exited (${code})`));
      resolve(code);
    }));
  }

  static async start(url: string, node: string): Promise<OtherNode> {
    const script = fileURLToPath(fixture('remote-node'));
    const proc = fork(script, [], { env: { ...process.env, NATS_URL: url, NODE_ID: node }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const other = new OtherNode(proc);
    await new Promise<void>((resolve, reject) => {
      proc.once('message', () => resolve());
      proc.once('exit', (code) => reject(new Error(`node ${node} exited with ${code} before it was ready`)));
    });
    return other;
  }

  call<T = unknown>(cmd: Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.send({ id, ...cmd });
    });
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    await this.call({ cmd: 'shutdown' }).catch(() => {});
    await this.exited;
  }
}

describe.skipIf(!haveNats)('two nodes over NATS', () => {
  let server: NatsServer;
  let a: ActorSystem;
  let b: OtherNode;

  beforeAll(async () => {
    server = await NatsServer.start();
    a = await createActorSystem({ name: 'node-a', node: 'node-a', workers: 2, logger: quiet, nats: { servers: server.url, retryMs: 50 } });
    await a.spawn(fixture('echo.actor'), { name: 'echo-a', expose: true });
    b = await OtherNode.start(server.url, 'node-b');
  });

  afterAll(async () => {
    await b?.stop();
    await a?.shutdown();
    await server?.stop();
  });

  it('tell and ask both ways, with lookup by name across nodes', async () => {
    const echoB = await a.resolve('echo-b', { timeoutMs: 10_000 });
    expect(echoB?.node).toBe('node-b');
    await expect(echoB!.ask({ type: 'echo', value: { n: 42, s: 'forty-two' } })).resolves.toEqual({ n: 42, s: 'forty-two' });
    // And from node b to an actor here.
    await expect(b.call({ cmd: 'ask', name: 'echo-a', msg: { type: 'echo', value: 'from b' } })).resolves.toBe('from b');
    // Tells arrive once each, in order.
    const counter = await a.resolve('counter-b');
    for (let seq = 0; seq < 500; seq++) counter!.tell({ type: 'inc', from: 'a', seq });
    await expect(counter!.ask({ type: 'report' })).resolves.toMatchObject({ n: 500, outOfOrder: 0, last: { a: 499 } });
  });

  it('refs inside messages work from the other node (an actor there asks an actor here)', async () => {
    const echoB = await a.resolve('echo-b');
    const echoA = a.lookup('echo-a')!;
    // echo-b (on node b) gets a ref to echo-a (here), asks it, and replies with its answer.
    await expect(echoB!.ask({ type: 'ask-other', other: echoA, value: 'round trip' })).resolves.toBe('round trip');
  });

  it('errors arrive with their codes; unexposed actors and unknown names are refused', async () => {
    const failing = await a.resolve('failing-b');
    await expect(failing!.ask({ type: 'ok', value: 21 })).resolves.toBe(42);
    await expect(failing!.ask({ type: 'boom', field: 'email' })).rejects.toMatchObject({ name: 'ValidationError', code: 'E_VALIDATION', message: 'bad email' });
    expect(await a.resolve('hidden-b', { timeoutMs: 200 })).toBeUndefined();
    expect(a.lookup('no-such-name')).toBeUndefined();
  });

  it('keeps the count on each node', async () => {
    await expectConserved(a);
    const s = await b.call<{ sent: number; processed: number; deadLettered: number; queued: number; returned: number; inFlight: number }>({ cmd: 'stats' });
    expect(s.inFlight).toBe(0);
    expect(s.sent).toBe(s.processed + s.deadLettered + s.queued + s.returned);
  });
});
