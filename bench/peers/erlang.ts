/**
 * Erlang/OTP as a Savina peer: savina.erl (beside this file's source), compiled with `erlc` into
 * a temporary folder once per bench run, run in one `erl +S <cores>` process per benchmark (its
 * start is not timed), a round being one `run` command: fresh processes, one per actor, timed
 * inside the VM from before the first spawn until the answer is back. Skipped, with a line saying
 * how to add it, when `erl` is not on the machine.
 */

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Peer } from '../savina/peers.js';
import { assertAnswer, EXPECTED, type CheckedName } from '../savina/answers.js';
import type { SavinaParams } from '../savina/params.js';

/**
 * The module's source, bench/peers/savina.erl: beside this file (in the package, dist/bench/peers/,
 * where the build copies it), or, from build/bench/peers/, in the source tree.
 */
const SOURCE = [new URL('./savina.erl', import.meta.url), new URL('../../../bench/peers/savina.erl', import.meta.url)]
  .map((u) => fileURLToPath(u)).find((f) => existsSync(f)) ?? fileURLToPath(new URL('./savina.erl', import.meta.url));

/** The OTP release of `erl` on the PATH, or null when there is none. */
function otpRelease(): string | null {
  const r = spawnSync('erl', ['-noshell', '-eval', 'io:format("~s", [erlang:system_info(otp_release)]), halt().'], { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : null;
}

let compiled: string | null = null;

/** Compiles savina.erl once; the folder holding savina.beam. */
function compile(): string {
  if (compiled !== null) return compiled;
  // A folder of its own, never the bench's (an installed package's folder may not be writable).
  const dir = mkdtempSync(join(os.tmpdir(), 'troupe-erlang-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const r = spawnSync('erlc', ['-o', dir, SOURCE], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`erlc ${SOURCE} failed: ${(r.stderr || r.stdout || String(r.error)).trim()}`);
  compiled = dir;
  return dir;
}

/** The benchmark's parameters in savina.erl's order. */
function args<K extends CheckedName>(name: K, p: SavinaParams[K]): number[] {
  const q = p as unknown as Record<string, number>;
  const order: Record<CheckedName, string[]> = {
    pingpong: ['n'], counting: ['n'], fjthrput: ['actors', 'n'], fjcreate: ['n'], threadring: ['actors', 'pings'],
    chameneos: ['chameneos', 'meetings'], big: ['actors', 'pings'], fib: ['n'], skynet: ['leaves', 'div'],
  };
  return order[name].map((k) => q[k]!);
}

/** One `erl` process, taking a command and answering with a line. */
class ErlangVm {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly lines: string[] = [];
  private waiting: ((line: string | null) => void) | null = null;
  private exited = false;
  private stderr = '';

  constructor(dir: string) {
    // +P: Skynet keeps over a million processes alive at once (the default limit is 262 144).
    this.proc = spawn('erl', ['+S', String(os.availableParallelism()), '+P', '4000000', '-noshell', '-pa', dir, '-s', 'savina', 'main']);
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      if (this.waiting !== null) { const w = this.waiting; this.waiting = null; w(line); } else this.lines.push(line);
    });
    this.proc.stderr.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-2000); });
    this.proc.on('exit', () => {
      this.exited = true;
      if (this.waiting !== null) { const w = this.waiting; this.waiting = null; w(null); }
    });
  }

  async command(line: string): Promise<string> {
    if (this.exited) throw new Error(`erl exited: ${this.stderr.trim()}`);
    this.proc.stdin.write(`${line}\n`);
    const got = this.lines.shift() ?? await new Promise<string | null>((resolve) => { this.waiting = resolve; });
    if (got === null) throw new Error(`erl exited: ${this.stderr.trim()}`);
    return got;
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.stdin.end('quit\n');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
  }
}

const release = otpRelease();
const NO_ERL = "erl is not on this machine: install Debian's erlang package (apt-get install erlang) to run Erlang/OTP beside troupe";

export const ERLANG_PEER: Peer = {
  id: 'erlang',
  label: `Erlang/OTP (erl +S ${os.availableParallelism()})`,
  version: release === null ? 'not installed' : `OTP ${release}`,
  skip: release === null ? Object.fromEntries(Object.keys(EXPECTED).map((k) => [k, NO_ERL])) : {},
  async prepare(name, params) {
    const vm = new ErlangVm(compile());
    const command = `run ${name} ${args(name, params).join(' ')}`;
    return {
      variant: {
        id: 'erlang',
        async round() {
          const line = await vm.command(command);
          const m = /^ok (-?\d+) (\d+) (\d+)$/.exec(line);
          if (m === null) throw new Error(`erl answered ${JSON.stringify(line)}`);
          assertAnswer(name, params, { answer: Number(m[1]), errors: Number(m[2]) });
          return { ms: Number(m[3]) / 1000 };
        },
      },
      close: () => vm.close(),
    };
  },
};
