#!/usr/bin/env node
/**
 * The `troupe` command. Subcommands: `bench` (runs the benchmark harness the package ships,
 * dist/bench/run.js, with the arguments that follow), `dlq`
 * (the NATS dead-letter stream: list, replay, purge), `health`, `alerts` and `top` (a running
 * system's observability server: observe.ts, top.ts), and `errors` (the NATS error-event stream).
 * docs/cli.md is their manual.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DLQ_HELP, runDlq } from './dlq.js';
import { exitCodeOf } from './args.js';
import { ALERTS_HELP, HEALTH_HELP, runAlerts, runHealth } from './observe.js';
import { TOP_HELP, runTop } from './top.js';
import { ERRORS_HELP, runErrors } from './errors.js';

const HELP = `usage: troupe <command> [options]

commands:
  bench [options]   run the benchmark suite (troupe against its peers), or measure your own actor
                    (--actor <file>); \`troupe bench --help\` lists its options
  dlq <list|replay|purge> --nats <url> [options]
                    the dead-letter stream; \`troupe dlq help\` lists its options
  health [--url <url>] [--json]
                    a running system's health (exit code: 0 healthy, 1 degraded, 2 critical, 3 no answer)
  alerts [--url <url>] [--json]
                    its active alerts, then their recent history
  top [--url <url>] [--once | --json]
                    its busiest actors, refreshed in place (q quits)
  errors <tail|recent> --nats <url> [options]
                    the NATS error-event stream; \`troupe errors help\` lists its options
  help              this text

health, alerts and top read a system's observability server (system.serve()): --url defaults to
TROUPE_URL, else http://127.0.0.1:9464, and --token to TROUPE_TOKEN. \`troupe <command> --help\`
lists a command's options; docs/cli.md is the manual.`;

/** The bench runner, from dist/cli/troupe.js: dist/bench/run.js (the build copies the compiled bench/ there). */
const BENCH_RUNNER = fileURLToPath(new URL('../bench/run.js', import.meta.url));

/** Runs an observability command: its exit code, or a one-line error and the code the error stands for. */
function runCommand(name: string, run: () => Promise<number>): void {
  run().then((code) => process.exit(code), (err: Error) => {
    console.error(`troupe ${name}: ${err.message}`);
    process.exit(exitCodeOf(err));
  });
}

const OBSERVE: Record<string, { help: string; run: (argv: string[]) => Promise<number> }> = {
  health: { help: HEALTH_HELP, run: runHealth },
  alerts: { help: ALERTS_HELP, run: runAlerts },
  top: { help: TOP_HELP, run: runTop },
  errors: { help: ERRORS_HELP, run: runErrors },
};

function runBench(args: string[]): void {
  if (!existsSync(BENCH_RUNNER)) {
    console.error(`troupe bench: ${BENCH_RUNNER} not found; in a troupe source checkout, run \`npm run build\` first`);
    process.exit(1);
  }
  const child = spawn(process.execPath, [BENCH_RUNNER, ...args], { stdio: 'inherit' });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
}

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case 'bench':
    runBench(rest);
    break;
  case 'dlq':
    if (rest.length === 0 || rest[0] === 'help' || rest[0] === '--help') console.log(DLQ_HELP);
    else {
      runDlq(rest).then((code) => process.exit(code), (err: Error) => {
        console.error(`troupe dlq: ${err.message}`);
        process.exit(1);
      });
    }
    break;
  case 'health':
  case 'alerts':
  case 'top':
  case 'errors': {
    const c = OBSERVE[command]!;
    const wantsHelp = rest.includes('--help') || rest.includes('-h') || (command === 'errors' && (rest.length === 0 || rest[0] === 'help'));
    if (wantsHelp) console.log(c.help);
    else runCommand(command, () => c.run(rest));
    break;
  }
  case undefined:
  case 'help':
  case '--help':
  case '-h':
    console.log(HELP);
    break;
  default:
    console.error(`troupe: unknown command "${command}"\n\n${HELP}`);
    process.exit(1);
}
