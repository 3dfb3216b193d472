// `troupe bench` as a user of the published package gets it: the tarball `npm pack` makes, unpacked
// into a temp project's node_modules/troupe, beside troupe's own dependencies only (linked from
// this checkout; nact, xstate, comedy, ringbuf.js and tinybench are not there), and run from
// that project with its `bin`. The troupe rows and the raw postMessage and thread rows run, each
// missing peer says how to add it, nothing is written into node_modules, and `--actor` measures
// the project's own actor (test/fixtures/bench-target.actor.ts, copied in as a user would have it).
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = join(ROOT, 'build', 'test', 'fixtures');

let project: string;
let bin: string;

interface Run { code: number; stdout: string; stderr: string }

/** Runs `troupe bench <args>` in the project to its end. */
function bench(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, 'bench', ...args], { cwd: project, timeout: 60_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

/** Every file and folder under `dir` (symlinks listed, not followed). */
function tree(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? [path, ...tree(path)] : [path];
  });
}

/** The row `label` with a measured value (a number after the label), as the runner prints it. */
const measured = (label: string) => new RegExp(`^ {4}${label.replace(/[()]/g, '\\$&')} +\\d`, 'm');

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'troupe-installed-'));
  // --ignore-scripts: the tests' own build (pretest) made dist/; prepack would build again.
  const tarball = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', project], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, npm_config_update_notifier: 'false' },
  }).trim();
  const troupe = join(project, 'node_modules', 'troupe');
  mkdirSync(troupe, { recursive: true });
  execFileSync('tar', ['-xzf', join(project, tarball), '-C', troupe, '--strip-components=1']);
  const { dependencies } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const dep of Object.keys(dependencies)) {
    mkdirSync(dirname(join(project, 'node_modules', dep)), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', dep), join(project, 'node_modules', dep));
  }
  // What npm does for a `bin`.
  mkdirSync(join(project, 'node_modules', '.bin'));
  symlinkSync('../troupe/dist/cli/troupe.js', join(project, 'node_modules', '.bin', 'troupe'));
  bin = join(project, 'node_modules', '.bin', 'troupe');
  writeFileSync(join(project, 'package.json'), '{ "private": true, "type": "module" }\n');
  for (const f of ['bench-target.actor.js', 'not-an-actor.js']) copyFileSync(join(FIXTURES, f), join(project, f));
});

afterAll(() => {
  if (project !== undefined) rmSync(project, { recursive: true, force: true });
});

describe('troupe bench from the packed package', () => {
  it('ships the compiled bench and its Erlang source, and none of the sources', () => {
    const dist = join(project, 'node_modules', 'troupe', 'dist', 'bench');
    expect(existsSync(join(dist, 'run.js'))).toBe(true);
    expect(existsSync(join(dist, 'peers', 'savina.erl'))).toBe(true);
    expect(existsSync(join(project, 'node_modules', 'troupe', 'bench'))).toBe(false);
  });

  it('runs troupe and the postMessage and thread baselines with only troupe\'s dependencies, and says how to add each missing peer', async () => {
    const before = tree(project);
    const r = await bench(['--quick', '--only', 'pingpong,savina-pingpong,micro-codec', '--peers', 'nact,xstate,comedy,postmessage,ringbuf']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(measured('troupe ask'));
    expect(r.stdout).toMatch(measured('postMessage (MessageChannel)'));
    expect(r.stdout).toMatch(measured('troupe, all actors on 1 worker'));
    expect(r.stdout).toMatch(measured('troupe, spread over all workers'));
    expect(r.stdout).toMatch(measured('postMessage (2 threads)'));
    for (const peer of ['nact', 'xstate', 'comedy']) {
      expect(r.stdout).toContain(`${peer}: not installed; \`npm install nact xstate comedy\` to compare against it`);
    }
    expect(r.stdout).toContain('ringbuf.js: not installed; `npm install ringbuf.js` to compare against it');
    expect(r.stdout).toContain('[micro-codec] skipped: tinybench: not installed; `npm install tinybench` to run the micro suites');
    // An installed package writes no report unless told where: not into node_modules, not here.
    expect(r.stdout).toContain('no report written: --out <dir>');
    expect(tree(project)).toEqual(before);
  });

  it('measures the project\'s own actor with --actor, on one worker and across two, beside postMessage, and writes the report into --out', async () => {
    const r = await bench(['--actor', './bench-target.actor.js', '--quick', '--messages', '2000', '--out', 'bench-out']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const title of ['Throughput, tell', 'Ping-pong round trip p50', 'Ping-pong round trip p99', 'Ask throughput, 64 in flight']) {
      expect(r.stdout).toContain(title);
    }
    expect(r.stdout).toMatch(measured('troupe, driver on the actor\'s worker'));
    expect(r.stdout).toMatch(measured('troupe, driver on another worker'));
    expect(r.stdout).toMatch(measured('postMessage, 1 per call (no handler)'));
    expect(r.stdout).toMatch(measured('postMessage (no handler)'));
    const results = JSON.parse(readFileSync(join(project, 'bench-out', 'results.json'), 'utf8')) as {
      suites: { name: string; tables: { rows: { role: string; value?: { median: number } }[] }[] }[];
    };
    expect(results.suites.map((s) => s.name)).toEqual(['actor']);
    const troupeRows = results.suites[0]!.tables.flatMap((t) => t.rows).filter((row) => row.role === 'troupe');
    expect(troupeRows).toHaveLength(8);
    for (const row of troupeRows) expect(row.value?.median).toBeGreaterThan(0);
    expect(readFileSync(join(project, 'bench-out', 'RESULTS.md'), 'utf8')).toContain('## Your actor: ./bench-target.actor.js');
  });

  it('answers bad --actor input with one line and exit code 1: a missing file, a module without an actor', async () => {
    const missing = await bench(['--actor', './nowhere.actor.js']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('troupe bench: --actor ./nowhere.actor.js: no such file\n');
    const notActor = await bench(['--actor', './not-an-actor.js']);
    expect(notActor.code).toBe(1);
    expect(notActor.stderr).toBe('troupe bench: --actor ./not-an-actor.js: its default export is not an actor: export default defineActor({ ... })\n');
    expect(notActor.stdout).not.toMatch(/\n\s+at /);
  });
});
