/**
 * `troupe top`: the busiest actors of a running system, refreshed in place (top-frame.ts draws a
 * frame). Live, it takes the terminal (the alternate screen, the cursor hidden, stdin in raw mode
 * when it is a TTY) and gives it back however it quits: q, Ctrl-C, SIGINT, SIGTERM. `--once`
 * prints one frame as plain text; `--json` prints one GET /actors.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ActorsReport, SystemHealth } from '../observability/types.js';
import { EXIT_CODES, endpointOf, intFlag, parseFlags, type Endpoint } from './args.js';
import { getJson } from './client.js';
import { colourWanted } from './format.js';
import { processIo, type Io } from './observe.js';
import { HEADER_LINES, rates, renderTop, type Size, type TopState } from './top-frame.js';

export const TOP_HELP = `usage: troupe top [--url <url>] [--token <t>] [--limit <n>] [--interval <ms>] [--once | --json]

The busiest actors (by mailbox, then messages handled), refreshed in place, with messages a
second since the last refresh, under a header of health, workers (busy share, heap) and totals.
q or Ctrl-C quits. Exit code: 0, or 3 when there is no answer (at the start).

  --url <url>      the observability server (default: TROUPE_URL, else http://127.0.0.1:9464)
  --token <t>      its bearer token (default: TROUPE_TOKEN)
  --limit <n>      actors to show (default: as many as the terminal has rows for; 20 with --once, --json)
  --interval <ms>  time between refreshes (default: 1000, at least 100)
  --once           print one frame, without colours or cursor movement, and exit
  --json           print GET /actors' JSON once, and exit`;

const FLAGS = {
  '--url': 'string', '--token': 'string', '--limit': 'string', '--interval': 'string', '--once': 'boolean', '--json': 'boolean',
} as const;

export const DEFAULT_INTERVAL_MS = 1000;
/** Actors asked for with --once and --json, when --limit does not say. */
export const DEFAULT_LIMIT = 20;

// ANSI: the alternate screen and a hidden cursor while live; home, clear to end of line, clear below.
const ENTER = '\x1b[?1049h\x1b[?25l';
const LEAVE = '\x1b[?25h\x1b[?1049l';
const HOME = '\x1b[H';
const CLEAR_LINE = '\x1b[K';
const CLEAR_BELOW = '\x1b[J';

async function look(ep: Endpoint, limit: number, signal?: AbortSignal): Promise<{ health: SystemHealth; actors: ActorsReport }> {
  const [health, actors] = await Promise.all([
    getJson<SystemHealth>(ep, '/health', [200, 503], signal),
    getJson<ActorsReport>(ep, `/actors?limit=${limit}`, [200], signal),
  ]);
  return { health, actors };
}

/** `troupe top`: resolves with the exit code (live: once the user quits). */
export async function runTop(argv: readonly string[], io: Io = processIo): Promise<number> {
  const f = parseFlags(argv, FLAGS, TOP_HELP);
  const ep = endpointOf(f['--url'], f['--token'], io.env);
  const limit = f['--limit'] !== undefined ? intFlag('--limit', f['--limit']) : undefined;
  const interval = f['--interval'] !== undefined ? intFlag('--interval', f['--interval'], 100) : DEFAULT_INTERVAL_MS;
  if (f['--json']) {
    io.out(JSON.stringify(await getJson<ActorsReport>(ep, `/actors?limit=${limit ?? DEFAULT_LIMIT}`), null, 2));
    return EXIT_CODES.OK;
  }
  if (f['--once']) {
    const { health, actors } = await look(ep, limit ?? DEFAULT_LIMIT);
    // Into a pipe nothing bounds the frame; on a terminal it fits the width (all rows, still).
    const size: Size = { columns: io.stdout.isTTY === true ? io.stdout.columns ?? 80 : Infinity, rows: Infinity };
    for (const l of renderTop({ url: ep.url, health, actors, rates: new Map() }, size)) io.out(l);
    return EXIT_CODES.OK;
  }
  return live(ep, limit, interval, io);
}

function terminalSize(io: Io): Size {
  return { columns: io.stdout.columns ?? 80, rows: io.stdout.rows ?? 24 };
}

async function live(ep: Endpoint, limit: number | undefined, interval: number, io: Io): Promise<number> {
  const quitting = new AbortController();
  const quit = () => quitting.abort();
  const colour = colourWanted(io.stdout, io.env);
  // As many actors as there are rows under the header and the table's title line.
  const want = () => limit ?? Math.max(1, terminalSize(io).rows - HEADER_LINES - 1);
  // The first answer before taking the terminal: no answer then is a one-line error and exit 3.
  const first = await look(ep, want());
  let state: TopState = { url: ep.url, ...first, rates: new Map() };
  const draw = () => io.write(HOME + renderTop(state, terminalSize(io), colour).map((l) => l + CLEAR_LINE).join('\n') + CLEAR_BELOW);

  const stdin = process.stdin;
  const raw = stdin.isTTY === true;
  const onKey = (b: Buffer) => {
    const k = b.toString('utf8');
    if (k === 'q' || k === 'Q' || k === '\x03') quit(); // \x03: Ctrl-C, which raw mode delivers as a key
  };
  if (raw) {
    stdin.setRawMode(true);
    stdin.on('data', onKey);
    stdin.resume();
  }
  process.on('SIGINT', quit);
  process.on('SIGTERM', quit);
  process.stdout.on('resize', draw);
  io.write(ENTER);
  try {
    draw();
    while (!quitting.signal.aborted) {
      await sleep(interval, undefined, { signal: quitting.signal }).catch(() => {});
      if (quitting.signal.aborted) break;
      try {
        const next = await look(ep, want(), quitting.signal);
        state = { url: ep.url, ...next, rates: rates(state.actors, next.actors) };
      } catch (err) {
        if (quitting.signal.aborted) break;
        // Keep the last answer on screen and say why it is old; try again next time.
        state = { ...state, error: (err as Error).message };
      }
      draw();
    }
  } finally {
    process.stdout.off('resize', draw);
    process.off('SIGINT', quit);
    process.off('SIGTERM', quit);
    if (raw) {
      stdin.off('data', onKey);
      stdin.setRawMode(false);
      stdin.pause();
    }
    io.write(LEAVE);
  }
  return EXIT_CODES.OK;
}
