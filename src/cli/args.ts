/**
 * What the observability commands (`health`, `alerts`, `top`, `errors`) share: their exit codes,
 * a flag parser, and the answer to "which server": `--url` (default TROUPE_URL, then
 * http://127.0.0.1:9464) and `--token` (default TROUPE_TOKEN). docs/cli.md lists the exit codes;
 * a test fails when the two drift apart.
 */

/** Exit codes of the observability commands (docs/cli.md). */
export const EXIT_CODES = {
  /** Done; for `health`: the system is healthy. */
  OK: 0,
  /** `health`: the system is degraded. Other commands: something failed (the message says what). */
  DEGRADED: 1,
  /** `health`: the system is critical (or stopped). */
  CRITICAL: 2,
  /** No answer: the server (or NATS) is unreachable, refused the token (401/403), or answered with an error. */
  UNREACHABLE: 3,
  /** Bad arguments (an unknown option, a missing value). */
  USAGE: 64,
} as const;

/** Thrown for bad arguments: exits with EXIT_CODES.USAGE. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Thrown when there is no answer to get: exits with EXIT_CODES.UNREACHABLE. */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
}

/** The exit code an error from a command stands for. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return EXIT_CODES.USAGE;
  if (err instanceof UnreachableError) return EXIT_CODES.UNREACHABLE;
  return EXIT_CODES.DEGRADED;
}

/** A command's flags: each takes a value ('string') or stands alone ('boolean'). */
export type FlagSpec = Record<string, 'string' | 'boolean'>;
export type Flags<S extends FlagSpec> = { [K in keyof S]?: S[K] extends 'boolean' ? boolean : string };

/** Parses `--flag value`, `--flag=value` and `--switch`; anything else is a UsageError naming the help. */
export function parseFlags<S extends FlagSpec>(argv: readonly string[], spec: S, help: string): Flags<S> {
  const out: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const kind = Object.hasOwn(spec, flag) ? spec[flag] : undefined;
    if (kind === undefined) throw new UsageError(`unknown option ${arg}\n\n${help}`);
    if (kind === 'boolean') {
      if (eq > 0) throw new UsageError(`${flag} takes no value`);
      out[flag] = true;
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') throw new UsageError(`${flag} needs a value`);
    out[flag] = value;
  }
  return out as Flags<S>;
}

/** `v` as an integer of at least `min`, or a UsageError naming `flag`. */
export function intFlag(flag: string, v: string, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag}: an integer of at least ${min}, not ${v}`);
  return n;
}

export const DEFAULT_URL = 'http://127.0.0.1:9464';

/** Where the observability server is, and the token to show it. */
export interface Endpoint {
  /** Its base URL, without a trailing slash. */
  url: string;
  token: string | undefined;
}

/** The endpoint from `--url`/`--token`, else TROUPE_URL/TROUPE_TOKEN, else the default URL and no token. */
export function endpointOf(url: string | undefined, token: string | undefined, env: NodeJS.ProcessEnv = process.env): Endpoint {
  let u = url ?? (env.TROUPE_URL || DEFAULT_URL);
  // `127.0.0.1:9464` alone means http://.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(u)) u = `http://${u}`;
  try {
    const parsed = new URL(u);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error();
  } catch {
    throw new UsageError(`--url: not an http(s) URL: ${u}`);
  }
  return { url: u.replace(/\/+$/, ''), token: token ?? (env.TROUPE_TOKEN || undefined) };
}
