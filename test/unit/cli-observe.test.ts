// The observability commands' pure parts: flags, the endpoint, exit codes, the health and alerts
// screens, top's frame and throughput, the error-event lines; the HTTP client against a plain
// node:http server; and docs/cli.md's exit codes against the code.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES, UnreachableError, UsageError, endpointOf, exitCodeOf, parseFlags } from '../../src/cli/args.js';
import { getJson } from '../../src/cli/client.js';
import { eventLine, totalsOf } from '../../src/cli/errors.js';
import { cutStart } from '../../src/cli/format.js';
import { healthExitCode, renderAlerts, renderHealth } from '../../src/cli/observe.js';
import { rates, renderTop, type TopState } from '../../src/cli/top-frame.js';
import type { ActorRow, ActorsReport, Alert, ErrorEvent, SystemHealth } from '../../src/observability/types.js';

const health = (over: Partial<SystemHealth> = {}): SystemHealth => ({
  status: 'healthy', actors: 3, restarts: 1, openBreakers: 0, deadLetters: 2, processed: 990, failed: 10, successRate: 0.99,
  workers: { total: 2, alive: 2 }, reasons: [], ...over,
});

const actor = (path: string, over: Partial<ActorRow> = {}): ActorRow => ({
  path, name: null, type: 'counter.actor', worker: 0, mailbox: 0, processed: 0, failed: 0, restarts: 0, breaker: null,
  parent: '/user', children: 0, subtree: 0, backpressured: false, ...over,
});

const report = (time: number, actors: ActorRow[]): ActorsReport => ({
  time, total: actors.length, actors, kinds: [], backpressured: 0,
  workers: [{ worker: 0, alive: true, dedicated: false, actors: actors.length, queued: 0, busy: 0.345, heapUsed: 20 * 2 ** 20, heapTotal: 64 * 2 ** 20 }],
});

const alert = (name: string, over: Partial<Alert> = {}): Alert => ({
  id: `${name}-1`, name, severity: 'warning', message: `${name} holds`, state: 'firing', firedAt: Date.UTC(2025, 0, 2, 3, 4, 5), resolvedAt: null, ...over,
});

describe('flags and endpoint', () => {
  const spec = { '--url': 'string', '--limit': 'string', '--json': 'boolean' } as const;

  it('reads --flag value, --flag=value and switches, and refuses unknown options and missing values', () => {
    expect(parseFlags(['--url', 'http://h:1', '--limit=5', '--json'], spec, 'help')).toEqual({ '--url': 'http://h:1', '--limit': '5', '--json': true });
    expect(() => parseFlags(['--nope'], spec, 'help')).toThrow(UsageError);
    expect(() => parseFlags(['--url'], spec, 'help')).toThrow(/--url needs a value/);
    expect(() => parseFlags(['--json=1'], spec, 'help')).toThrow(/takes no value/);
  });

  it('takes the URL from --url, else TROUPE_URL, else 127.0.0.1:9464; the token from --token, else TROUPE_TOKEN', () => {
    expect(endpointOf(undefined, undefined, {})).toEqual({ url: 'http://127.0.0.1:9464', token: undefined });
    expect(endpointOf(undefined, undefined, { TROUPE_URL: 'http://h:1/', TROUPE_TOKEN: 't' })).toEqual({ url: 'http://h:1', token: 't' });
    expect(endpointOf('h:2', 'x', { TROUPE_URL: 'http://h:1', TROUPE_TOKEN: 't' })).toEqual({ url: 'http://h:2', token: 'x' });
    expect(() => endpointOf('ftp://h', undefined, {})).toThrow(UsageError);
  });

  it('maps errors to exit codes: 64 bad arguments, 3 no answer, 1 anything else', () => {
    expect(exitCodeOf(new UsageError('x'))).toBe(64);
    expect(exitCodeOf(new UnreachableError('x'))).toBe(3);
    expect(exitCodeOf(new Error('x'))).toBe(1);
  });

  it('docs/cli.md documents exactly the exit codes the code defines', () => {
    const doc = readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^\| `(\d+)` \|/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
    expect(documented).toEqual(Object.values(EXIT_CODES).sort((a, b) => a - b));
  });
});

describe('health and alerts screens', () => {
  it('exits 0 healthy, 1 degraded, 2 critical or stopped', () => {
    expect(['healthy', 'degraded', 'critical', 'stopped'].map((status) => healthExitCode({ status } as SystemHealth))).toEqual([0, 1, 2, 2]);
  });

  it('shows the status, each reason, the counts and NATS, coloured only when asked', () => {
    const h = health({ status: 'degraded', reasons: ['worker 1 is dead', 'breaker open'], nats: { connected: false, outbox: 7 } });
    const plain = renderHealth(h, 'http://h:1', false).join('\n');
    expect(plain).toMatch(/^status +degraded$/m);
    expect(plain).toMatch(/^reasons +- worker 1 is dead\n +- breaker open$/m);
    expect(plain).toMatch(/^processed +990$/m);
    expect(plain).toMatch(/^failed +10 +\(success 99\.00 %\)$/m);
    expect(plain).toMatch(/^nats +disconnected, 7 waiting in the outbox$/m);
    expect(plain).not.toContain('\x1b[');
    expect(renderHealth(h, 'http://h:1', true).join('\n')).toContain('\x1b[33mdegraded\x1b[0m');
    expect(renderHealth(health(), 'u', false).join('\n')).toMatch(/^nats +not configured$/m);
  });

  it('lists the active alerts, then the history, one line each: time, severity, name, message', () => {
    const lines = renderAlerts({
      active: [alert('worker-down', { severity: 'critical' })],
      history: [alert('slow', { state: 'resolved', resolvedAt: Date.UTC(2025, 0, 2, 3, 5, 0) })],
    }, false);
    expect(lines).toEqual([
      'active (1)',
      '  2025-01-02T03:04:05.000Z  critical  worker-down  worker-down holds',
      'history (1, newest first)',
      '  2025-01-02T03:04:05.000Z  warning   slow         slow holds  (resolved 2025-01-02T03:05:00.000Z)',
    ]);
    expect(renderAlerts({ active: [], history: [] }, false)).toEqual(['no active alerts', 'no alerts in the history']);
  });
});

describe('top', () => {
  it('computes messages a second from processed between two reports, for actors in both', () => {
    const before = report(10_000, [actor('/user/a', { processed: 100 }), actor('/user/b', { processed: 50 }), actor('/user/gone', { processed: 9 })]);
    const after = report(12_000, [actor('/user/a', { processed: 300 }), actor('/user/b', { processed: 10 }), actor('/user/new', { processed: 5 })]);
    expect(rates(before, after)).toEqual(new Map([['/user/a', 100]]));
    expect(rates(null, after).size).toBe(0);
    expect(rates(after, after).size).toBe(0);
  });

  const state = (actors: ActorRow[], r = new Map<string, number>()): TopState => ({ url: 'http://h:1', health: health(), actors: report(Date.UTC(2025, 0, 1, 12, 0, 0), actors), rates: r });

  it('prints every path whole, and all columns, when nothing bounds the frame', () => {
    const deep = `/user/${'deep/'.repeat(20)}leaf`;
    const lines = renderTop(state([actor(deep, { processed: 12_345, mailbox: 3 }), actor('/user/a', { worker: -1, type: 'pool:hash' })], new Map([[deep, 1234.5]])), { columns: Infinity, rows: Infinity });
    expect(lines[0]).toBe('troupe top · healthy · actors 2 · backpressured 0 · 12:00:00 · http://h:1');
    expect(lines[1]).toBe('workers 2/2 · w0 35% 20/64M');
    expect(lines[4]).toMatch(/^PATH +TYPE +W +MAILBOX +MSG\/S +PROCESSED +FAILED +RESTARTS +BREAKER$/);
    expect(lines[5]).toMatch(new RegExp(`^${deep} +counter\\.actor +0 +3 +1235 +12\\.3k +0 +0 +-$`));
    expect(lines[6]).toMatch(/^\/user\/a +pool:hash +pool +0 +- +0 +0 +0 +-$/);
  });

  it('fits an 80×12 terminal: no line wider, paths cut from the left, columns dropped before the path gets narrow, rows cut to the height', () => {
    const many = Array.from({ length: 30 }, (_, i) => actor(`/user/orders/region-${i}/customer-session-${i}`, { processed: i }));
    const lines = renderTop(state(many), { columns: 80, rows: 12 });
    expect(lines).toHaveLength(12);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(lines[4]).toMatch(/^PATH/);
    expect(lines[4]).not.toContain('BREAKER');
    expect(lines[4]).toContain('MSG/S');
    const first = lines[5]!.split(/ +/)[0]!;
    expect(first.startsWith('…')).toBe(true);
    expect('/user/orders/region-0/customer-session-0'.endsWith(first.slice(1))).toBe(true);
    expect(first.length).toBeGreaterThanOrEqual(16);
  });

  it('colours only the status word and a refresh error, after fitting', () => {
    const s = { ...state([actor('/user/a')]), error: 'cannot reach http://h:1/actors: ECONNREFUSED' };
    const lines = renderTop(s, { columns: 60, rows: 10 }, true);
    expect(lines[0]).toContain('\x1b[32mhealthy\x1b[0m');
    expect(lines[3]).toBe(`\x1b[31m${'! cannot reach http://h:1/actors: ECONNREFUSED'}\x1b[0m`);
    expect(cutStart('/a/b/c/d', 5)).toBe('…/c/d');
  });
});

describe('error events', () => {
  const ev = (severity: ErrorEvent['severity'], category: ErrorEvent['category'], over: Partial<ErrorEvent> = {}): ErrorEvent => ({
    id: 'i', severity, category, message: 'card declined', details: {}, actor: '/user/pay', node: 'n1', correlationId: 'c', time: Date.UTC(2025, 0, 1), ...over,
  });

  it('prints one line: time, severity, category, node:actor, message, details', () => {
    expect(eventLine(ev('warn', 'validation', { details: { field: 'email' } }), false))
      .toBe('2025-01-01T00:00:00.000Z warn  validation n1:/user/pay card declined {"field":"email"}');
    expect(eventLine(ev('error', 'unknown', { actor: '' }), false)).toBe('2025-01-01T00:00:00.000Z error unknown n1:- card declined');
  });

  it('totals events by severity and category, most first', () => {
    const t = totalsOf([ev('error', 'processing'), ev('warn', 'processing'), ev('error', 'timeout')]);
    expect(t).toEqual({ total: 3, bySeverity: [['error', 2], ['warn', 1]], byCategory: [['processing', 2], ['timeout', 1]] });
  });
});

describe('the HTTP client', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.headers.authorization !== 'Bearer s3cret') { res.writeHead(401).end('{"error":"unauthorized"}'); return; }
      if (req.url === '/health') { res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"critical"}'); return; }
      if (req.url === '/text') { res.writeHead(200).end('<html>'); return; }
      res.writeHead(404).end('no such route');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('sends the bearer token and takes the statuses it is told to (503 for /health)', async () => {
    await expect(getJson({ url, token: 's3cret' }, '/health', [200, 503])).resolves.toEqual({ status: 'critical' });
  });

  it('says in one line why there is no answer: no token, a refused token, another status, not JSON, unreachable', async () => {
    await expect(getJson({ url, token: undefined }, '/health')).rejects.toThrow(new UnreachableError(`${url}/health: HTTP 401: the server wants a token (pass --token or set TROUPE_TOKEN)`));
    await expect(getJson({ url, token: 'wrong' }, '/health')).rejects.toThrow(/HTTP 401: the server refused the token/);
    await expect(getJson({ url, token: 's3cret' }, '/health')).rejects.toThrow(/HTTP 503/);
    await expect(getJson({ url, token: 's3cret' }, '/nope')).rejects.toThrow(/HTTP 404 Not Found: no such route/);
    await expect(getJson({ url, token: 's3cret' }, '/text')).rejects.toThrow(/not JSON: <html>/);
    // A port nothing listens on: bind one, note it, close it.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(getJson({ url: `http://127.0.0.1:${port}`, token: undefined }, '/health')).rejects.toThrow(`cannot reach http://127.0.0.1:${port}/health: ECONNREFUSED`);
  });
});
