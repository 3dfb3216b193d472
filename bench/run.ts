/**
 * The bench runner: `npm run bench [-- --quick] [-- --only <name>[,<name>...]] [-- --no-write]`.
 *
 * Runs the suites in order, prints each table as it completes, then writes
 * bench/results.json (every round's value) and bench/RESULTS.md (rendered from it).
 * `--only micro` matches every suite named `micro-*`.
 */

import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { pingpongSuite } from './core/pingpong.js';
import { sameWorkerSuite } from './core/same-worker.js';
import type { Suite, SuiteContext } from './core/suite.js';
import { throughputSuite } from './core/throughput.js';
import { workerToWorkerSuite } from './core/worker-to-worker.js';
import { cpuSnapshot, machineInfo, otherCpuCores } from './lib/machine.js';
import { RESULTS_SCHEMA, type BenchResults, type SuiteResult } from './lib/types.js';
import { codecMicroSuite } from './micro/codec.js';
import { ringMicroSuite } from './micro/ring.js';
import { BUSY_OTHER_CORES, renderReport } from './report.js';

/** Every suite, in run order. A Savina suite would be appended here. */
const SUITES: Suite[] = [throughputSuite, pingpongSuite, sameWorkerSuite, workerToWorkerSuite, codecMicroSuite, ringMicroSuite];

/** A 1-minute load average above this at the start means something else is running: say so. */
const BUSY_LOAD = 0.5;

const USAGE = `usage: node build/bench/run.js [--quick] [--only <name>[,<name>...]] [--no-write]
suites: ${SUITES.map((s) => s.name).join(', ')}`;

interface Args {
  quick: boolean;
  only: string[] | null;
  write: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, only: null, write: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') args.quick = true;
    else if (a === '--no-write') args.write = false;
    else if (a === '--only' || a.startsWith('--only=')) {
      const value = a === '--only' ? argv[++i] : a.slice('--only='.length);
      if (value === undefined || value === '') throw new Error('--only needs a suite name');
      args.only = [...(args.only ?? []), ...value.split(',').filter((s) => s !== '')];
    } else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
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

/** A full GC between rounds needs --expose-gc; `npm run bench` passes no flags, so set it here. */
function exposeGc(): () => void {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    if (typeof gc === 'function') return gc as () => void;
  } catch {
    // fall through: rounds then run without a forced GC
  }
  return () => {};
}

function printTables(s: SuiteResult): void {
  if (s.error !== undefined) console.log(`  suite failed: ${s.error}`);
  for (const t of s.tables) {
    if (t.kind === 'micro') {
      for (const r of t.rows) {
        console.log(`  ${r.name.padEnd(48)} ${r.meanNs === undefined ? r.error : `${r.meanNs.toFixed(1)} ns/op`}`);
      }
      continue;
    }
    console.log(`  ${t.title} (${t.unit}, median [min – max]):`);
    for (const r of t.rows) {
      const v = r.value;
      const text = v === undefined ? `— ${r.error ?? ''}` : `${fmt(v.median)} [${fmt(v.min)} – ${fmt(v.max)}]`;
      console.log(`    ${r.label.replace(/`/g, '').padEnd(32)} ${text}`);
    }
  }
}

function fmt(v: number): string {
  return v >= 1e4 ? `${(v / 1e6).toFixed(3)} M` : v.toFixed(2);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const suites = selectSuites(args.only);
  const startedAt = new Date();
  const t0 = performance.now();
  const ctx: SuiteContext = {
    quick: args.quick,
    warmupRounds: args.quick ? 1 : 2,
    rounds: args.quick ? 3 : 11,
    gc: exposeGc(),
    log: (line) => console.log(line),
  };
  const machine = machineInfo();
  const loadStart = os.loadavg();
  const cpuStart = cpuSnapshot();
  console.log(`troupe bench — ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}${args.quick ? ' — quick' : ''}`);
  if (loadStart[0]! > BUSY_LOAD) {
    console.log(`warning: load average ${loadStart[0]!.toFixed(2)} — other work on this machine will skew the numbers`);
  }

  const results: SuiteResult[] = [];
  for (const suite of suites) {
    console.log(`\n${suite.title} [${suite.name}]`);
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
    printTables(result);
    console.log(`  (${(result.durationMs / 1000).toFixed(1)} s)`);
    results.push(result);
  }

  const report: BenchResults = {
    schema: RESULTS_SCHEMA,
    startedAt: startedAt.toISOString(),
    durationMs: performance.now() - t0,
    machine,
    run: {
      quick: args.quick,
      only: args.only,
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
    console.log(`\nwrote ${fileURLToPath(new URL('RESULTS.md', dir))} and results.json`);
  }
  console.log(`total ${(report.durationMs / 1000).toFixed(1)} s`);
  const other = report.run.otherCpuCores;
  if (other !== null && other > BUSY_OTHER_CORES) {
    console.log(`warning: other processes kept ${other.toFixed(2)} cores busy during the run; numbers are skewed`);
  }
}

main().then(
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
