// The built `troupe` command (dist/cli/troupe.js, run as a child process) against a real system:
// health, alerts and top through system.serve(), with and without a token; and errors tail/recent
// through a real nats-server this file starts.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActorSystem, type ActorRef, type ActorSystem } from 'troupe';
import type { ActorsReport, AlertsReport, ErrorEvent, SystemHealth } from '../../src/observability/types.js';
import { NatsServer, natsAvailable } from '../nats-server.js';
import { fixture, quiet, until } from '../helpers.js';

const CLI = fileURLToPath(new URL('../../dist/cli/troupe.js', import.meta.url));
/** The environment the CLI runs in: none of the variables it reads set, unless a test sets them. */
const ENV = { ...process.env, TROUPE_URL: '', TROUPE_TOKEN: '', TROUPE_NATS_URL: '', NO_COLOR: '' };

interface Run { code: number; stdout: string; stderr: string }

/** Runs `troupe <args>` to its end. */
function troupe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...ENV, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts `troupe <args>` and keeps it running: `waitFor` resolves once its stdout (or stderr) passes a test. */
function start(args: string[]): { child: ChildProcess; out: () => string; waitFor(test: (s: string) => boolean, stream?: 'stdout' | 'stderr'): Promise<string>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  const text = { stdout: '', stderr: '' };
  const waiters = new Set<() => void>();
  for (const s of ['stdout', 'stderr'] as const) {
    child[s]!.setEncoding('utf8').on('data', (d: string) => { text[s] += d; for (const w of waiters) w(); });
  }
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => { for (const w of waiters) w(); r(code); }));
  return {
    child,
    out: () => text.stdout,
    exit,
    waitFor: (test, stream = 'stdout') => new Promise((resolve, reject) => {
      const check = () => {
        if (test(text[stream])) { waiters.delete(check); resolve(text[stream]); }
        else if (child.exitCode !== null) { waiters.delete(check); reject(new Error(`exited ${child.exitCode}: ${text.stdout}${text.stderr}`)); }
      };
      waiters.add(check);
      check();
    }),
  };
}

/** A loopback port nothing listens on (bound, noted, closed). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('troupe health, alerts and top against a served system', () => {
  let system: ActorSystem;
  let server: { url: string; close(): Promise<void> };
  let counter: ActorRef;

  beforeAll(async () => {
    system = await createActorSystem({ name: 'cli-observe', workers: 2, logger: quiet });
    counter = await system.spawn(fixture('counter.actor'), { name: 'cli-counter' });
    server = await system.serve({ port: 0 });
  });

  afterAll(async () => {
    await server?.close();
    await system?.shutdown();
  });

  it('health --json prints GET /health, whose processed matches system.stats() after 100 messages, and exits 0 when healthy', async () => {
    for (let i = 0; i < 100; i++) counter.tell({ type: 'inc' });
    await expect(counter.ask({ type: 'get' })).resolves.toBe(100);
    const stats = await system.stats();
    const r = await troupe(['health', '--json', '--url', server.url]);
    expect(r.code, r.stderr).toBe(0);
    const h = JSON.parse(r.stdout) as SystemHealth;
    expect(h).toMatchObject({ status: 'healthy', actors: stats.actors, processed: stats.processed, failed: 0, reasons: [] });
    expect(h.processed).toBeGreaterThanOrEqual(101);
  });

  it('health prints one screen and exits 0 when healthy; TROUPE_URL stands in for --url', async () => {
    const r = await troupe(['health'], { TROUPE_URL: server.url });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^status +healthy$/m);
    expect(r.stdout).toMatch(/^workers +2\/2 alive$/m);
    expect(r.stdout).toMatch(/^nats +not configured$/m);
    expect(r.stdout).not.toContain('\x1b['); // not a terminal: no colours
  });

  it('top --once lists the spawned actor by path and type, under a header of health and workers', async () => {
    const r = await troupe(['top', '--once', '--url', server.url]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^troupe top · healthy · actors \d+ · backpressured 0 · \d\d:\d\d:\d\d · http:\/\/127\.0\.0\.1:\d+$/);
    expect(lines[1]).toMatch(/^workers 2\/2 · w0 \d+% [\d.]+\/[\d.]+M · w1 \d+% /);
    expect(r.stdout).toMatch(/^\/user\/cli-counter +counter\.actor +[01] +0 +- +1\d\d +0 +0 +-$/m);
    expect(r.stdout).not.toContain('\x1b[');
  });

  it('top --json prints GET /actors with the limit asked for', async () => {
    const r = await troupe(['top', '--json', '--limit', '1', '--url', server.url]);
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout) as ActorsReport;
    expect(a.actors).toHaveLength(1);
    expect(a.total).toBeGreaterThanOrEqual(1);
    expect(a.workers).toHaveLength(2);
  });

  it('top, live: redraws in place with a rate per actor, and gives the terminal back on SIGTERM', async () => {
    const top = start(['top', '--url', server.url, '--interval', '100']);
    const frames = (s: string) => s.split('\x1b[H').length - 1;
    // The second frame has a rate: messages a second since the first.
    const out = await top.waitFor((s) => frames(s) >= 2 && /\/user\/cli-counter +counter\.actor +[01] +0 +[\d.]+ /.test(s.slice(s.lastIndexOf('\x1b[H'))));
    expect(out.startsWith('\x1b[?1049h\x1b[?25l\x1b[H')).toBe(true);
    top.child.kill('SIGTERM');
    await expect(top.exit).resolves.toBe(0);
    expect(top.out().endsWith('\x1b[?25h\x1b[?1049l')).toBe(true);
  });

  it('alerts --json prints GET /alerts; alerts prints its two lists', async () => {
    const r = await troupe(['alerts', '--json', '--url', server.url]);
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout) as AlertsReport;
    expect(Array.isArray(a.active)).toBe(true);
    expect(Array.isArray(a.history)).toBe(true);
    const text = await troupe(['alerts', '--url', server.url]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^(no active alerts|active \(\d+\))$/m);
  });

  it('an unreachable server is a one-line error and exit code 3; a bad option is exit code 64', async () => {
    const port = await closedPort();
    for (const cmd of ['health', 'alerts', 'top']) {
      const r = await troupe([cmd, '--url', `http://127.0.0.1:${port}`, ...(cmd === 'top' ? ['--once'] : [])]);
      expect(r.code).toBe(3);
      expect(r.stderr).toBe(`troupe ${cmd}: cannot reach http://127.0.0.1:${port}/${cmd === 'top' ? 'health' : cmd}: ECONNREFUSED\n`);
    }
    const bad = await troupe(['health', '--nope']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/^troupe health: unknown option --nope/);
  });

  it('with a token: none, or a wrong one, is exit code 3; --token or TROUPE_TOKEN gets the answer', async () => {
    const secured = await system.serve({ port: 0, token: 'x' });
    try {
      const none = await troupe(['health', '--json', '--url', secured.url]);
      expect(none.code).toBe(3);
      expect(none.stderr).toBe(`troupe health: ${secured.url}/health: HTTP 401: the server wants a token (pass --token or set TROUPE_TOKEN)\n`);
      const wrong = await troupe(['top', '--once', '--url', secured.url, '--token', 'y']);
      expect(wrong.code).toBe(3);
      expect(wrong.stderr).toMatch(/HTTP 401: the server refused the token\n$/);
      const ok = await troupe(['health', '--json', '--url', secured.url, '--token', 'x']);
      expect(ok.code, ok.stderr).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({ status: 'healthy' });
      const env = await troupe(['alerts', '--json', '--url', secured.url], { TROUPE_TOKEN: 'x' });
      expect(env.code, env.stderr).toBe(0);
      expect(JSON.parse(env.stdout)).toHaveProperty('active');
    } finally {
      await secured.close();
    }
  });
});

const haveNats = natsAvailable();

describe.skipIf(!haveNats)('troupe errors against the NATS error stream', () => {
  let nats: NatsServer;
  let system: ActorSystem;
  let echo: ActorRef;

  beforeAll(async () => {
    nats = await NatsServer.start();
    system = await createActorSystem({ name: 'cli-errors', node: 'cli-node', workers: 1, logger: quiet, nats: { servers: nats.url } });
    echo = await system.spawn(fixture('echo.actor'), { name: 'cli-echo' });
  });

  afterAll(async () => {
    await system?.shutdown();
    await nats?.stop();
  });

  /** Has the echo actor report an event, and resolves once the stream has it. */
  async function report(message: string, severity: 'warn' | 'error', category: 'validation' | 'processing'): Promise<void> {
    await expect(echo.ask({ type: 'report', message, severity, category })).resolves.toBe('reported');
    await until(() => system.errors.recent({ actor: '/user/cli-echo', limit: 1000 }), (es) => es.some((e) => e.message === message), 10_000);
  }

  it('errors recent --json shows a reported event; without --json, the events then their totals by severity and category', async () => {
    await report('card declined', 'warn', 'validation');
    await report('ledger down', 'error', 'processing');
    const r = await troupe(['errors', 'recent', '--nats', nats.url, '--since', '1h', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as ErrorEvent);
    expect(events.find((e) => e.message === 'card declined')).toMatchObject({
      severity: 'warn', category: 'validation', actor: '/user/cli-echo', node: 'cli-node', details: { where: 'echo' },
    });
    const text = await troupe(['errors', 'recent', '--nats', nats.url, '--since', '1h', '--actor', '/user/cli-echo']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^\S+Z warn  validation cli-node:\/user\/cli-echo card declined \{"where":"echo"\}$/m);
    expect(text.stdout).toMatch(/^2 event\(s\)\nby severity: error 1, warn 1\nby category: processing 1, validation 1\n$/m);
    const onlyErrors = await troupe(['errors', 'recent', '--nats', nats.url, '--severity', 'error', '--json']);
    expect(onlyErrors.stdout.trim().split('\n').map((l) => (JSON.parse(l) as ErrorEvent).message)).toEqual(['ledger down']);
  });

  it('errors tail follows: an event reported after it says so is printed (a filtered-out one is not); it stops on SIGTERM', async () => {
    const tail = start(['errors', 'tail', '--nats', nats.url, '--severity', 'error', '--json']);
    try {
      await tail.waitFor((s) => s.includes('following troupe_ERRORS'), 'stderr');
      await report('filtered out', 'warn', 'validation');
      await report('payment lost', 'error', 'processing');
      const out = await tail.waitFor((s) => s.includes('\n'));
      expect(JSON.parse(out.split('\n')[0]!)).toMatchObject({ message: 'payment lost', severity: 'error', actor: '/user/cli-echo' });
    } finally {
      tail.child.kill('SIGTERM');
    }
    await expect(tail.exit).resolves.toBe(0);
    expect(tail.out().split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('unreachable NATS, or no error stream under the prefix, is exit code 3', async () => {
    const port = await closedPort();
    const r = await troupe(['errors', 'recent', '--nats', `nats://127.0.0.1:${port}`]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^troupe errors: cannot reach NATS at nats:\/\/127\.0\.0\.1:\d+: .+\n$/);
    const other = await troupe(['errors', 'recent', '--nats', nats.url, '--prefix', 'elsewhere']);
    expect(other.code).toBe(3);
    expect(other.stderr).toMatch(/^troupe errors: no error stream elsewhere_ERRORS at /);
  });
});
