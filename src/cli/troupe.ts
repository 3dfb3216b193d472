#!/usr/bin/env node
/**
 * The `troupe` command. Subcommands: `bench` (runs the benchmark harness, build/bench/run.js,
 * with the arguments that follow; from a source checkout after `npm run build`) and `dlq`
 * (the NATS dead-letter stream: list, replay, purge).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DLQ_HELP, runDlq } from './dlq.js';

const HELP = `usage: troupe <command> [options]

commands:
  bench [options]   run the benchmark suite (troupe against its peers); \`troupe bench --help\` lists its options
  dlq <list|replay|purge> --nats <url> [options]
                    the dead-letter stream; \`troupe dlq help\` lists its options
  help              this text`;

/** The compiled bench runner, from dist/cli/troupe.js: <package root>/build/bench/run.js. */
const BENCH_RUNNER = fileURLToPath(new URL('../../build/bench/run.js', import.meta.url));

function runBench(args: string[]): void {
  if (!existsSync(BENCH_RUNNER)) {
    console.error(`troupe bench: ${BENCH_RUNNER} not found; run \`npm run build\` in a troupe source checkout first`);
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
