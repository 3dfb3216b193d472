/**
 * The bench runner: `npm run bench [-- --quick] [--only <name>[,...]] [--peers <id>[,...]] [--json <file>] [--no-write]`
 * (also `troupe bench ...`).
 *
 * Runs the suites in order, prints each table as it completes (with a progress bar on a
 * terminal), then writes bench/results.json (every round's value), bench/RESULTS.md (rendered
 * from it) and bench/charts/*.svg. `--only savina` matches every suite named `savina-*`.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { pingpongSuite } from './core/pingpong.js';
import { sameWorkerSuite } from './core/same-worker.js';
import type { Suite, SuiteContext } from './core/suite.js';
import { throughputSuite } from './core/throughput.js';
import { bridgeSuite } from './bridge/suite.js';
import { workerToWorkerSuite } from './core/worker-to-worker.js';
import { cpuSnapshot, machineInfo, otherCpuCores } from './lib/machine.js';
import { RESULTS_SCHEMA, type BenchResults, type SuiteResult } from './lib/types.js';
import { codecMicroSuite } from './micro/codec.js';
import { ringMicroSuite } from './micro/ring.js';
import { BUSY_OTHER_CORES, renderCharts, renderReport } from './report.js';
import { Progress } from './lib/progress.js';
import { memorySuite } from './savina/memory.js';
import { PEER_IDS } from './savina/peers.js';
import { burstSuite } from './core/burst.js';
import { SAVINA_SUITES } from './savina/suite.js';
import { exposeGc } from './lib/gc.js';

/** Every suite, in run order. */
const SUITES: Suite[] = [
  throughputSuite, pingpongSuite, sameWorkerSuite, workerToWorkerSuite, burstSuite, codecMicroSuite, ringMicroSuite,
  ...SAVINA_SUITES, memorySuite, bridgeSuite,
];

/** A 1-minute load average above this at the start means something else is running: say so. */
const BUSY_LOAD = 0.5;

export const USAGE = `usage: npm run bench -- [options]    (or: troupe bench [options])
  --quick               smaller workloads and fewer rounds (a few minutes; checks the harness, not for quoting)
  --only <name>[,...]   run only these suites (a prefix matches: --only savina runs every savina-* suite)
  --peers <id>[,...]    run only these peers beside troupe (default: all)
  --json <file>         also write the results JSON to <file>
  --no-write            leave bench/RESULTS.md, bench/results.json and bench/charts/ alone
suites: ${SUITES.map((s) => s.name).join(', ')}
peers:  ${PEER_IDS.join(', ')}`;

interface Args {
  quick: boolean;
  only: string[] | null;
  peers: string[] | null;
  json: string | null;
  write: boolean;
}

function listValue(argv: string[], i: number, flag: string): [string[], number] {
  const a = argv[i]!;
  const value = a === flag ? argv[i + 1] : a.slice(flag.length + 1);
  if (value === undefined || value === '' || value.startsWith('--')) throw new Error(`${flag} needs a value\n${USAGE}`);
  return [value.split(',').filter((s) => s !== ''), a === flag ? i + 1 : i];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, only: null, peers: null, json: null, write: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') args.quick = true;
    else if (a === '--no-write') args.write = false;
    else if (a === '--only' || a.startsWith('--only=')) {
      const [v, j] = listValue(argv, i, '--only');
      args.only = [...(args.only ?? []), ...v];
      i = j;
    } else if (a === '--peers' || a.startsWith('--peers=')) {
      const [v, j] = listValue(argv, i, '--peers');
      for (const p of v) if (!PEER_IDS.includes(p)) throw new Error(`no peer "${p}"\n${USAGE}`);
      args.peers = [...(args.peers ?? []), ...v];
      i = j;
    } else if (a === '--json' || a.startsWith('--json=')) {
      const [v, j] = listValue(argv, i, '--json');
      args.json = v.join(',');
      i = j;
    } else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  return args;
}

function selects(filter: string, name: string): boolean {
  return name === filter || name.startsWith(`${filter}-`);
}

function selectSuites(only: string[] | null): Suite[] {
  if (only === null) return SUITES;
  for (const f of only) {
    if (!SUITES.some((s) => selects(f, s.name))) throw new Error(`no suite matches "${f}"\n${USAGE}`);
  }
  return SUITES.filter((s) => only.some((f) => selects(f, s.name)));
}


function printTables(s: SuiteResult, log: (line: string) => void): void {
  if (s.error !== undefined) log(`  suite failed: ${s.error}`);
  for (const t of s.tables) {
    if (t.kind === 'micro') {
      for (const r of t.rows) {
        log(`  ${r.name.padEnd(48)} ${r.meanNs === undefined ? r.error : `${r.meanNs.toFixed(1)} ns/op`}`);
      }
      continue;
    }
    log(`  ${t.title} (${t.unit}, median [min – max]):`);
    for (const r of t.rows) {
      const v = r.value;
      const text = v === undefined ? `— ${r.error ?? ''}` : `${fmt(v.median)} [${fmt(v.min)} – ${fmt(v.max)}]`;
      log(`    ${r.label.replace(/`/g, '').padEnd(40)} ${text}`);
    }
  }
}

function fmt(v: number): string {
  return v >= 1e5 ? `${(v / 1e6).toFixed(3)} M` : v.toFixed(2);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const suites = selectSuites(args.only);
  const startedAt = new Date();
  const t0 = performance.now();
  const progress = new Progress();
  const ctx: SuiteContext = {
    quick: args.quick,
    warmupRounds: args.quick ? 1 : 2,
    rounds: args.quick ? 3 : 11,
    gc: exposeGc(),
    log: (line) => progress.log(line),
    peers: args.peers,
    onRound: (done, total, variant) => progress.update({ done, total, variant }),
  };
  const log = (line: string) => progress.log(line);
  const machine = machineInfo();
  const loadStart = os.loadavg();
  const cpuStart = cpuSnapshot();
  console.log(`troupe bench — ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}${args.quick ? ' — quick' : ''}`);
  if (loadStart[0]! > BUSY_LOAD) {
    console.log(`warning: load average ${loadStart[0]!.toFixed(2)} — other work on this machine will skew the numbers`);
  }

  const results: SuiteResult[] = [];
  for (const [index, suite] of suites.entries()) {
    log(`\n${suite.title} [${suite.name}]`);
    progress.update({ suite: suite.name, suiteIndex: index, suites: suites.length, done: 0, total: 0, variant: '' });
    const s0 = performance.now();
    let result: SuiteResult;
    try {
      const r = await suite.run(ctx);
      result = { name: suite.name, title: suite.title, ...r, durationMs: performance.now() - s0 };
    } catch (err) {
      result = {
        name: suite.name,
        title: suite.title,
        description: '',
        params: {},
        tables: [],
        durationMs: performance.now() - s0,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      };
    }
    printTables(result, log);
    log(`  (${(result.durationMs / 1000).toFixed(1)} s)`);
    results.push(result);
  }
  progress.stop();

  const report: BenchResults = {
    schema: RESULTS_SCHEMA,
    startedAt: startedAt.toISOString(),
    durationMs: performance.now() - t0,
    machine,
    run: {
      quick: args.quick,
      only: args.only,
      peers: args.peers,
      warmupRounds: ctx.warmupRounds,
      rounds: ctx.rounds,
      loadAvgStart: loadStart,
      otherCpuCores: otherCpuCores(cpuStart, cpuSnapshot()),
    },
    suites: results,
  };
  if (args.write) {
    const dir = new URL('../../bench/', import.meta.url);
    writeFileSync(new URL('results.json', dir), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(new URL('RESULTS.md', dir), renderReport(report));
    const charts = renderCharts(report);
    mkdirSync(new URL('charts/', dir), { recursive: true });
    for (const c of charts) writeFileSync(new URL(c.file, dir), c.svg);
    console.log(`\nwrote ${fileURLToPath(new URL('RESULTS.md', dir))}, results.json and ${charts.length} charts`);
  }
  if (args.json !== null) {
    writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`wrote ${args.json}`);
  }
  console.log(`total ${(report.durationMs / 1000).toFixed(1)} s`);
  const other = report.run.otherCpuCores;
  if (other !== null && other > BUSY_OTHER_CORES) {
    console.log(`warning: other processes kept ${other.toFixed(2)} cores busy during the run; numbers are skewed`);
  }
}

/**
 * In-process peers hold up to 1.1M actors on the main thread's heap (Skynet): Node's default
 * limit (~4 GB here) ran out in a full run. Re-run this script with a larger old space, once.
 */
const HEAP_MB = 12_288;

function needsBiggerHeap(): boolean {
  return !process.execArgv.some((a) => a.startsWith('--max-old-space-size')) && process.env.TROUPE_BENCH_CHILD !== '1';
}

if (needsBiggerHeap()) {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, TROUPE_BENCH_CHILD: '1' },
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else main().then(
  () => {
    // Whatever is still alive now (a worker a suite failed to stop) should not hang the bench.
    setTimeout(() => {
      console.error('bench: handles still open 5 s after the run; exiting anyway');
      process.exit(process.exitCode ?? 0);
    }, 5_000).unref();
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
