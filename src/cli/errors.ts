/**
 * `troupe errors tail | recent --nats <url>`: the NATS error-event stream (`<P>_ERRORS`, subjects
 * `<P>.errors.<severity>.<category>`, one JSON event each: bridge/error-stream.ts, whose reading
 * and decoding these use) from the command line, without an actor system. `tail` follows new
 * events (or from `--since` on) until interrupted; `recent` prints the stored ones since a time,
 * then their totals by severity and category.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type DeliverPolicy, type OrderedConsumerOptions } from '@nats-io/jetstream';
import { names } from '../bridge/config.js';
import { decodeErrorEvent, errorSubjects, readErrorEvents } from '../bridge/error-stream.js';
import { matches, type ErrorEvent, type ErrorFilter } from '../observability/error-events.js';
import { SEVERITIES, type Severity } from '../supervision/classify.js';
import { EXIT_CODES, UnreachableError, UsageError, intFlag, parseFlags } from './args.js';
import { parseSince } from './dlq.js';
import { colourWanted, isoTime, levelColour, paint } from './format.js';
import { processIo, type Io } from './observe.js';

export const ERRORS_HELP = `usage: troupe errors <tail|recent> [options]

  tail     follow the error events as they are stored (from --since on, if given), one a line,
           until interrupted (Ctrl-C)
  recent   print the stored events since --since (oldest first), then their totals by severity
           and category

options:
  --nats <url>       NATS server (default: TROUPE_NATS_URL)
  --prefix <p>       subject/stream prefix (default: troupe)
  --since <when>     an ISO date, epoch ms, or an age such as 30m, 2h, 7d (recent: default 24h)
  --severity <s>     only this severity (${SEVERITIES.join(', ')})
  --actor <path>     only events from this actor (e.g. /user/orders)
  --limit <n>        recent: at most the newest n (default 100; the totals count them all)
  --json             one JSON event a line (recent: no totals)

Exit code: 0; 1 on a failure; 3 when NATS is unreachable or has no error stream; 64 bad arguments.`;

const FLAGS = {
  '--nats': 'string', '--prefix': 'string', '--since': 'string', '--severity': 'string', '--actor': 'string', '--limit': 'string', '--json': 'boolean',
} as const;

export const DEFAULT_RECENT_LIMIT = 100;

interface Args { sub: 'tail' | 'recent'; url: string; prefix: string; filter: ErrorFilter; limit: number; json: boolean }

function parse(argv: readonly string[], env: NodeJS.ProcessEnv): Args {
  const [sub, ...rest] = argv;
  if (sub !== 'tail' && sub !== 'recent') throw new UsageError(`unknown errors command "${sub ?? ''}"\n\n${ERRORS_HELP}`);
  const f = parseFlags(rest, FLAGS, ERRORS_HELP);
  const url = f['--nats'] ?? env.TROUPE_NATS_URL ?? '';
  if (url === '') throw new UsageError('no NATS server: pass --nats <url> or set TROUPE_NATS_URL');
  const filter: ErrorFilter = {};
  const since = f['--since'] ?? (sub === 'recent' ? '24h' : undefined);
  if (since !== undefined) {
    try { filter.since = parseSince(since); } catch (err) { throw new UsageError((err as Error).message); }
  }
  const severity = f['--severity'];
  if (severity !== undefined) {
    if (!(SEVERITIES as readonly string[]).includes(severity)) throw new UsageError(`--severity must be one of: ${SEVERITIES.join(', ')}`);
    filter.severity = severity as Severity;
  }
  if (f['--actor'] !== undefined) filter.actor = f['--actor'];
  if (f['--limit'] !== undefined && sub === 'tail') throw new UsageError('--limit is for errors recent');
  const limit = f['--limit'] !== undefined ? intFlag('--limit', f['--limit']) : DEFAULT_RECENT_LIMIT;
  return { sub, url, prefix: f['--prefix'] ?? 'troupe', filter, limit, json: f['--json'] === true };
}

/** One event on one line: time, severity, category, node:actor (no node for a system without NATS), message, details. */
export function eventLine(e: ErrorEvent, colour: boolean): string {
  const details = e.details !== undefined && Object.keys(e.details).length > 0 ? ` ${JSON.stringify(e.details)}` : '';
  const text = `${e.message}${details}`;
  return `${isoTime(e.time)} ${paint(String(e.severity).padEnd(5), levelColour(e.severity), colour)} ${e.category} ${e.node !== '' ? `${e.node}:` : ''}${e.actor || '-'} ` +
    `${text.length > 300 ? `${text.slice(0, 300)}…` : text}`;
}

/** Counts of `events` by severity and by category, each most first. */
export function totalsOf(events: readonly ErrorEvent[]): { total: number; bySeverity: [string, number][]; byCategory: [string, number][] } {
  const count = (key: (e: ErrorEvent) => string) => {
    const m = new Map<string, number>();
    for (const e of events) m.set(key(e), (m.get(key(e)) ?? 0) + 1);
    return [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  };
  return { total: events.length, bySeverity: count((e) => e.severity), byCategory: count((e) => e.category) };
}

/** Runs an errors subcommand; resolves with the exit code (tail: once interrupted). */
export async function runErrors(argv: readonly string[], io: Io = processIo, err: (s: string) => void = (s) => console.error(s)): Promise<number> {
  const a = parse(argv, io.env);
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: a.url.split(','), name: `troupe-cli-${process.pid}` });
  } catch (e) {
    throw new UnreachableError(`cannot reach NATS at ${a.url}: ${(e as Error).message}`);
  }
  try {
    const jsm = await jetstreamManager(nc);
    const n = names(a.prefix, `cli-${process.pid}`);
    const info = await jsm.streams.info(n.errorsStream).catch((e: Error) => {
      throw new UnreachableError(`no error stream ${n.errorsStream} at ${a.url} (${e.message}): has a troupe system with NATS run there, with --prefix ${a.prefix}?`);
    });
    const colour = colourWanted(io.stdout, io.env);
    const show = (e: ErrorEvent) => io.out(a.json ? JSON.stringify(e) : eventLine(e, colour));
    if (a.sub === 'recent') {
      // Every match since then, for the totals; the newest `limit` printed.
      const events = await readErrorEvents(jsm, n, a.filter, Infinity);
      for (const e of events.slice(-a.limit)) show(e);
      if (!a.json) for (const l of totalsLines(events, a.limit)) io.out(l);
      return EXIT_CODES.OK;
    }
    // tail: an ordered consumer from the next event stored (or from --since); made before the
    // line that says it follows, so nothing stored after that line is missed.
    const start: Partial<OrderedConsumerOptions> = a.filter.since !== undefined
      ? { deliver_policy: 'by_start_time' as DeliverPolicy, opt_start_time: new Date(a.filter.since).toISOString() }
      : { opt_start_seq: info.state.last_seq + 1 };
    const consumer = await jsm.jetstream().consumers.get(n.errorsStream, { filter_subjects: errorSubjects(n, a.filter.severity), ...start });
    const messages = await consumer.consume({ max_messages: 256 });
    const stop = () => messages.stop();
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    err(`following ${n.errorsStream} at ${a.url}${a.filter.since !== undefined ? ` from ${isoTime(a.filter.since)}` : ''} (Ctrl-C to stop)`);
    try {
      for await (const m of messages) {
        const e = decodeErrorEvent(m.data);
        if (e !== null && matches(e, a.filter)) show(e);
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await consumer.delete().catch(() => {});
    }
    return EXIT_CODES.OK;
  } finally {
    await nc.close();
  }
}

function totalsLines(events: readonly ErrorEvent[], limit: number): string[] {
  const t = totalsOf(events);
  const list = (xs: [string, number][]) => (xs.length === 0 ? '-' : xs.map(([k, v]) => `${k} ${v}`).join(', '));
  return [
    `${t.total} event(s)${t.total > limit ? ` (the newest ${limit} shown)` : ''}`,
    `by severity: ${list(t.bySeverity)}`,
    `by category: ${list(t.byCategory)}`,
  ];
}
