/**
 * The bench runner: `npm run bench [-- --quick] [--only <name>[,...]] [--peers <id>[,...]] [--actor <file>] [--out <dir>] [--json <file>] [--no-write]`
 * (also `troupe bench ...`; args.ts has the options).
 *
 * Runs the suites in order, prints each table as it completes (with a progress bar on a
 * terminal), then writes results.json (every round's value), RESULTS.md (rendered from it) and
 * charts/*.svg: into bench/ in a source checkout, into --out's folder when given. `--only savina`
 * matches every suite named `savina-*`. `--actor` runs the user's actor instead (user-actor/).
 */

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, usage, type ArgsContext } from './args.js';
import { pingpongSuite } from './core/pingpong.js';
import { sameWorkerSuite } from './core/same-worker.js';
import type { Suite, SuiteContext } from './core/suite.js';
import { throughputSuite } from './core/throughput.js';
import { bridgeSuite } from './bridge/suite.js';
import { workerToWorkerSuite } from './core/worker-to-worker.js';
import { cpuSnapshot, machineInfo, otherCpuCores } from './lib/machine.js';
import { missingPackage, notInstalled } from './lib/optional.js';
import { RESULTS_SCHEMA, type BenchResults, type SuiteResult } from './lib/types.js';
import { BUSY_OTHER_CORES, renderCharts, renderReport } from './report.js';
import { Progress } from './lib/progress.js';
import { memorySuite } from './savina/memory.js';
import { PEER_IDS } from './savina/peers.js';
import { burstSuite } from './core/burst.js';
import { SAVINA_SUITES } from './savina/suite.js';
import { exposeGc } from './lib/gc.js';
import { BenchInputError, loadUserActor } from './user-actor/module.js';
import { userActorSuite } from './user-actor/suite.js';

/**
 * A suite whose module imports a package troupe does not depend on (tinybench): loaded only when
 * it runs, so that where the package is missing it is skipped with a line, not the whole runner.
 */
interface LazySuite {
  name: string;
  load(): Promise<Suite>;
}

/** Every suite, in run order. */
const SUITES: (Suite | LazySuite)[] = [
  throughputSuite, pingpongSuite, sameWorkerSuite, workerToWorkerSuite, burstSuite,
  { name: 'micro-codec', load: async () => (await import('./micro/codec.js')).codecMicroSuite },
  { name: 'micro-ring', load: async () => (await import('./micro/ring.js')).ringMicroSuite },
  ...SAVINA_SUITES, memorySuite, bridgeSuite,
];

/** A 1-minute load average above this at the start means something else is running: say so. */
const BUSY_LOAD = 0.5;

/** bench/ of a source checkout (bench/run.ts is there): its default report folder. From an installed package, null. */
const CHECKOUT_OUT = existsSync(new URL('../../bench/run.ts', import.meta.url)) ? fileURLToPath(new URL('../../bench', import.meta.url)) : null;

const ARGS_CONTEXT: ArgsContext = { suites: SUITES.map((s) => s.name), peers: PEER_IDS, checkoutOut: CHECKOUT_OUT };

const USAGE = usage(ARGS_CONTEXT);

function selects(filter: string, name: string): boolean {
  return name === filter || name.startsWith(`${filter}-`);
}

function selectSuites(only: string[] | null): (Suite | LazySuite)[] {
  if (only === null) return SUITES;
  for (const f of only) {
    if (!SUITES.some((s) => selects(f, s.name))) throw new Error(`no suite matches "${f}"\n${USAGE}`);
  }
  return SUITES.filter((s) => only.some((f) => selects(f, s.name)));
}

/** A suite that could not run at all: its result says why. */
function notRun(name: string, why: string): SuiteResult {
  return { name, title: name, description: '', params: {}, tables: [], durationMs: 0, error: why };
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

/** The suite, or, when it cannot run here, why (a missing package or tool: the line that adds it). */
async function load(entry: Suite | LazySuite): Promise<Suite | string> {
  let suite: Suite;
  try {
    suite = 'load' in entry ? await entry.load() : entry;
  } catch (err) {
    const pkg = missingPackage(err);
    return pkg !== null ? notInstalled(pkg) : `could not be loaded: ${err instanceof Error ? err.message : String(err)}`;
  }
  return suite.missing?.() ?? suite;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), ARGS_CONTEXT);
  const suites = args.actor !== null ? [userActorSuite(await loadUserActor(args.actor), args.messages)] : selectSuites(args.only);
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
  for (const [index, entry] of suites.entries()) {
    const suite = await load(entry);
    if (typeof suite === 'string') {
      log(`\n[${entry.name}] skipped: ${suite}`);
      results.push(notRun(entry.name, `not run: ${suite}`));
      continue;
    }
    log(`\n${suite.title} [${suite.name}]`);
    progress.update({ suite: suite.name, suiteIndex: index, suites: suites.length, done: 0, total: 0, variant: '' });
    const s0 = performance.now();
    let result: SuiteResult;
    try {
      const r = await suite.run(ctx);
      result = { name: suite.name, title: suite.title, ...r, durationMs: performance.now() - s0 };
    } catch (err) {
      // The user's module misbehaving (no answer, a failing init) is theirs to fix: one line, exit 1.
      if (err instanceof BenchInputError) {
        progress.stop();
        throw err;
      }
      result = {
        ...notRun(suite.name, err instanceof Error ? (err.stack ?? err.message) : String(err)),
        title: suite.title,
        durationMs: performance.now() - s0,
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
  if (args.out !== null) {
    const dir = args.out;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(dir, 'RESULTS.md'), renderReport(report));
    const charts = renderCharts(report);
    if (charts.length > 0) mkdirSync(join(dir, 'charts'), { recursive: true });
    for (const c of charts) writeFileSync(join(dir, c.file), c.svg);
    console.log(`\nwrote ${join(dir, 'RESULTS.md')}, results.json and ${charts.length} charts`);
  }
  if (args.json !== null) {
    writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`wrote ${args.json}`);
  }
  if (args.out === null && args.json === null && !args.noWrite) {
    console.log('\nno report written: --out <dir> writes RESULTS.md, results.json and charts/ there; --json <file> the JSON alone');
  }
  console.log(`total ${(report.durationMs / 1000).toFixed(1)} s`);
  // A script measuring its actor (in CI, say) should see a failing actor in the exit code.
  const failedRows = results.flatMap((s) => s.tables).some((t) => t.kind === 'rounds' && t.rows.some((r) => r.role === 'troupe' && r.error !== undefined));
  if (args.actor !== null && failedRows) {
    console.error(`troupe bench: --actor ${args.actor}: some rows failed (above)`);
    process.exitCode = 1;
  }
  const other = report.run.otherCpuCores;
  if (other !== null && other > BUSY_OTHER_CORES) {
    console.log(`warning: other processes kept ${other.toFixed(2)} cores busy during the run; numbers are skewed`);
  }
}

/**
 * The flags the bench's process runs with; it re-runs itself with those missing, once.
 * - A larger old space: in-process peers hold up to 1.1M actors on the main thread's heap
 *   (Skynet), and Node's default limit (~4 GB here) ran out in a full run.
 * - No memory reducer: V8 shrinks an isolate's heap once it has sat idle for some seconds, and
 *   each peer sits idle while the others take their rounds (comedy's rounds of Fork-Join creation
 *   take ~30 s of wall time each). The next round then grows the heap back through extra
 *   collections: troupe's Fork-Join creation on one worker measured 143-244 ms after 15 s idle,
 *   98-134 ms with this flag (and as fast back to back). It applies to every JavaScript peer in
 *   the process alike; the Erlang VM has no such thing. RESULTS.md shows the flags.
 */
const HEAP_MB = 12_288;
const BENCH_FLAGS = [`--max-old-space-size=${HEAP_MB}`, '--no-memory-reducer'];

function missingFlags(): string[] {
  if (process.env.TROUPE_BENCH_CHILD === '1') return [];
  return BENCH_FLAGS.filter((f) => !process.execArgv.some((a) => a.split('=')[0] === f.split('=')[0]));
}

const missing = missingFlags();
if (missing.length > 0) {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [...missing, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
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
    console.error(err instanceof BenchInputError ? `troupe bench: ${err.message}` : err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
