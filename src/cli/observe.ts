/**
 * `troupe health` and `troupe alerts`: one look at a running system through its observability
 * server (`system.serve()`), as a screen of text or (`--json`) the route's JSON. `troupe top` is in
 * top.ts; the exit codes, the flags they share and the HTTP client are in args.ts and client.ts.
 */
import type { Alert, AlertsReport, SystemHealth } from '../observability/types.js';
import { EXIT_CODES, endpointOf, parseFlags } from './args.js';
import { getJson } from './client.js';
import { colourWanted, isoTime, levelColour, paint } from './format.js';

/** Where a command writes, and what it knows of the terminal (process.stdout in the CLI; a fake in tests). */
export interface Io {
  /** Prints a line. */
  out(text: string): void;
  /** Writes as it is (top's frames). */
  write(text: string): void;
  /** stdout as a terminal: whether it is one, and its size (undefined when it is not). */
  stdout: { isTTY?: boolean; columns?: number; rows?: number };
  env: NodeJS.ProcessEnv;
}

export const processIo: Io = {
  out: (s) => console.log(s),
  write: (s) => process.stdout.write(s),
  stdout: process.stdout,
  env: process.env,
};

const CONNECTION = `  --url <url>      the observability server (default: TROUPE_URL, else http://127.0.0.1:9464)
  --token <t>      its bearer token (default: TROUPE_TOKEN)`;

export const HEALTH_HELP = `usage: troupe health [--url <url>] [--token <t>] [--json]

The system's health on one screen. Exit code: 0 healthy, 1 degraded, 2 critical (or stopped),
3 no answer (unreachable, token refused), 64 bad arguments. With --json as well.

${CONNECTION}
  --json           print GET /health's JSON instead`;

export const ALERTS_HELP = `usage: troupe alerts [--url <url>] [--token <t>] [--json]

The active alerts, then the recent history (newest first), one line each: time, severity, name,
message. Exit code: 0, or 3 when there is no answer.

${CONNECTION}
  --json           print GET /alerts' JSON instead`;

const COMMON = { '--url': 'string', '--token': 'string', '--json': 'boolean' } as const;

/** The exit code for a health status: 0 healthy, 1 degraded, 2 critical or stopped (or one this CLI does not know). */
export function healthExitCode(h: Pick<SystemHealth, 'status'>): number {
  if (h.status === 'healthy') return EXIT_CODES.OK;
  if (h.status === 'degraded') return EXIT_CODES.DEGRADED;
  return EXIT_CODES.CRITICAL;
}

/** The health screen, one string per line. */
export function renderHealth(h: SystemHealth, url: string, colour: boolean): string[] {
  const row = (label: string, value: string) => `${label.padEnd(15)}${value}`;
  const lines = [paint(`troupe health · ${url}`, 'dim', colour), row('status', paint(h.status, levelColour(h.status), colour))];
  h.reasons.forEach((r, i) => lines.push(row(i === 0 ? 'reasons' : '', `- ${r}`)));
  const rate = h.processed + h.failed > 0 ? `  (success ${(h.successRate * 100).toFixed(h.successRate < 1 ? 2 : 0)} %)` : '';
  lines.push(
    row('actors', String(h.actors)),
    row('workers', `${h.workers.alive}/${h.workers.total} alive`),
    row('processed', String(h.processed)),
    row('failed', `${h.failed}${rate}`),
    row('dead letters', String(h.deadLetters)),
    row('restarts', String(h.restarts)),
    row('open breakers', String(h.openBreakers)),
    row('nats', h.nats === undefined ? 'not configured'
      : `${h.nats.connected ? 'connected' : paint('disconnected', 'red', colour)}, ${h.nats.outbox} waiting in the outbox`),
  );
  return lines;
}

/** One alert on one line: time it fired, severity, name, message (and when it resolved). */
export function alertLine(a: Alert, nameWidth: number, colour: boolean): string {
  const resolved = a.resolvedAt !== null ? `  (resolved ${isoTime(a.resolvedAt)})` : '';
  return `${isoTime(a.firedAt)}  ${paint(a.severity.padEnd(8), levelColour(a.severity), colour)}  ${a.name.padEnd(nameWidth)}  ${a.message}${resolved}`;
}

/** The alerts screen: the active ones, then the history. */
export function renderAlerts(r: AlertsReport, colour: boolean): string[] {
  const width = Math.max(0, ...r.active.map((a) => a.name.length), ...r.history.map((a) => a.name.length));
  const lines: string[] = [];
  lines.push(r.active.length === 0 ? 'no active alerts' : `active (${r.active.length})`);
  for (const a of r.active) lines.push(`  ${alertLine(a, width, colour)}`);
  lines.push(r.history.length === 0 ? 'no alerts in the history' : `history (${r.history.length}, newest first)`);
  for (const a of r.history) lines.push(`  ${alertLine(a, width, colour)}`);
  return lines;
}

/** `troupe health`: resolves with the exit code. */
export async function runHealth(argv: readonly string[], io: Io = processIo): Promise<number> {
  const f = parseFlags(argv, COMMON, HEALTH_HELP);
  const ep = endpointOf(f['--url'], f['--token'], io.env);
  // A critical system answers 503, with its health as the body.
  const h = await getJson<SystemHealth>(ep, '/health', [200, 503]);
  if (f['--json']) io.out(JSON.stringify(h, null, 2));
  else for (const l of renderHealth(h, ep.url, colourWanted(io.stdout, io.env))) io.out(l);
  return healthExitCode(h);
}

/** `troupe alerts`: resolves with the exit code. */
export async function runAlerts(argv: readonly string[], io: Io = processIo): Promise<number> {
  const f = parseFlags(argv, COMMON, ALERTS_HELP);
  const ep = endpointOf(f['--url'], f['--token'], io.env);
  const r = await getJson<AlertsReport>(ep, '/alerts');
  if (f['--json']) io.out(JSON.stringify(r, null, 2));
  else for (const l of renderAlerts(r, colourWanted(io.stdout, io.env))) io.out(l);
  return EXIT_CODES.OK;
}
