/**
 * The bench runner's command line (`npm run bench -- ...`, `troupe bench ...`): its usage text
 * and its parser. Where the report goes by default depends on where the bench runs from: a
 * source checkout writes bench/RESULTS.md as it always has; an installed package writes nothing
 * unless told where (its own folder is node_modules, not the user's).
 */

import { resolve } from 'node:path';
import { DEFAULT_MESSAGES } from './user-actor/suite.js';

/** What the command line asked for. */
export interface Args {
  quick: boolean;
  /** --only filters, or null for every suite. */
  only: string[] | null;
  peers: string[] | null;
  /** --json: also write the results JSON here. */
  json: string | null;
  /** The folder to write RESULTS.md, results.json and charts/ into, or null for none. */
  out: string | null;
  /** True when --no-write said so (rather than the default). */
  noWrite: boolean;
  /** --actor: the user's actor module, as given. */
  actor: string | null;
  /** --messages: tells per throughput round of the --actor suite, or null for its default. */
  messages: number | null;
}

/** What the usage text lists, and where the report goes when no option says. */
export interface ArgsContext {
  suites: string[];
  peers: string[];
  /** The source checkout's bench/ folder, or null when running from an installed package. */
  checkoutOut: string | null;
}

/** The text `--help` prints (and a bad argument's error ends with). */
export function usage(c: ArgsContext): string {
  return `usage: npm run bench -- [options]    (or: troupe bench [options])
  --quick               smaller workloads and fewer rounds (a few minutes; checks the harness, not for quoting)
  --only <name>[,...]   run only these suites (a prefix matches: --only savina runs every savina-* suite)
  --peers <id>[,...]    run only these peers beside troupe (default: all)
  --actor <file>        measure your own actor instead (throughput, ping-pong, ask; on one worker and across
                        two, beside raw postMessage). <file>: a JavaScript module whose default export is a
                        defineActor() actor, exporting benchMessage: the message to tell, or a function of its
                        sequence number returning one; optionally benchAsk: the message to ask, which the actor
                        must ctx.reply() to (default: benchMessage), and benchArgs: its spawn args.
                        The manual: docs/cli.md in troupe's repository.
  --messages <n>        with --actor: tells per throughput round (default ${DEFAULT_MESSAGES.full}, --quick ${DEFAULT_MESSAGES.quick});
                        ping-pong and ask send a tenth as many
  --out <dir>           write RESULTS.md, results.json and charts/*.svg into <dir>
  --json <file>         also write the results JSON to <file>
  --no-write            write no report
${c.checkoutOut !== null
    ? `The report goes to ${c.checkoutOut} by default (this is a source checkout), except with --actor.`
    : 'Nothing is written unless --out or --json says where (this is an installed package).'}
Peers and tools that are not installed (nact, xstate, comedy, ringbuf.js, erl; tinybench for the micro
suites, nats-server for bridge) are skipped, each with a line saying how to add it.
suites: ${c.suites.join(', ')}
peers:  ${c.peers.join(', ')}`;
}

/** The value of the flag at argv[i] (`--flag v` or `--flag=v`), and the index of the last argument it used. */
function valueOf(argv: string[], i: number, flag: string, help: string): [string, number] {
  const a = argv[i]!;
  const value = a === flag ? argv[i + 1] : a.slice(flag.length + 1);
  if (value === undefined || value === '' || value.startsWith('--')) throw new Error(`${flag} needs a value\n${help}`);
  return [value, a === flag ? i + 1 : i];
}

/** Parses argv; throws with the usage text on a bad argument, prints it and exits on --help. */
export function parseArgs(argv: string[], c: ArgsContext): Args {
  const help = usage(c);
  const args: Args = { quick: false, only: null, peers: null, json: null, out: null, noWrite: false, actor: null, messages: null };
  let out: string | null = null;
  const flag = (a: string, name: string) => a === name || a.startsWith(`${name}=`);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const take = (name: string): string => {
      const [v, j] = valueOf(argv, i, name, help);
      i = j;
      return v;
    };
    const list = (name: string) => take(name).split(',').filter((s) => s !== '');
    if (a === '--quick') args.quick = true;
    else if (a === '--no-write') args.noWrite = true;
    else if (flag(a, '--only')) args.only = [...(args.only ?? []), ...list('--only')];
    else if (flag(a, '--peers')) {
      const v = list('--peers');
      for (const p of v) if (!c.peers.includes(p)) throw new Error(`no peer "${p}"\n${help}`);
      args.peers = [...(args.peers ?? []), ...v];
    } else if (flag(a, '--json')) args.json = take('--json');
    else if (flag(a, '--out')) out = resolve(take('--out'));
    else if (flag(a, '--actor')) args.actor = take('--actor');
    else if (flag(a, '--messages')) {
      const v = take('--messages');
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--messages needs a positive whole number, not "${v}"\n${help}`);
      args.messages = n;
    } else if (a === '--help' || a === '-h') {
      console.log(help);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}\n${help}`);
  }
  if (out !== null && args.noWrite) throw new Error(`--out and --no-write contradict each other\n${help}`);
  if (args.actor !== null && (args.only !== null || args.peers !== null)) {
    throw new Error(`--actor runs a suite of its own: --only and --peers do not go with it\n${help}`);
  }
  if (args.messages !== null && args.actor === null) throw new Error(`--messages goes with --actor\n${help}`);
  // The checkout's bench/ holds the project's recorded run: a user's actor does not belong there.
  args.out = out ?? (args.noWrite || args.actor !== null ? null : c.checkoutOut);
  return args;
}
