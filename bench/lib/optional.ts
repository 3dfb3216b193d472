/**
 * The packages the bench compares troupe against or measures with, beyond troupe's own
 * dependencies: devDependencies in the repo, so `npm install troupe` does not bring them. Where
 * one is missing, its rows or suites are skipped with a line saying how to add it, and everything
 * else (the troupe rows, the raw postMessage and thread baselines) still runs.
 */

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Why each optional package is there, and the install command that adds it (with its group). */
const OPTIONAL: Record<string, { install: string; purpose: string }> = {
  nact: { install: 'nact xstate comedy', purpose: 'compare against it' },
  xstate: { install: 'nact xstate comedy', purpose: 'compare against it' },
  comedy: { install: 'nact xstate comedy', purpose: 'compare against it' },
  'ringbuf.js': { install: 'ringbuf.js', purpose: 'compare against it' },
  tinybench: { install: 'tinybench', purpose: 'run the micro suites' },
};

/**
 * Whether `pkg` can be imported from the bench (resolved as the bench's own imports are: from
 * its folder up, so an installed troupe finds what its user installed beside it).
 */
export function installed(pkg: string): boolean {
  try {
    import.meta.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

/**
 * `pkg@<version>` as installed (the user of an installed troupe picks their own versions), or
 * `pkg` alone when its package.json cannot be found; null when it is not installed.
 */
export function installedVersion(pkg: string): string | null {
  let entry: string;
  try {
    entry = fileURLToPath(import.meta.resolve(pkg));
  } catch {
    return null;
  }
  // Up from the file the package resolves to, to the package.json that names it.
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const json = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (json.name === pkg) return `${pkg}@${json.version ?? '?'}`;
  }
  return pkg;
}

/** The line that says a package is missing and how to add it: "nact: not installed; `npm install nact xstate comedy` to compare against it". */
export function notInstalled(pkg: string): string {
  const o = OPTIONAL[pkg] ?? { install: pkg, purpose: 'run this' };
  return `${pkg}: not installed; \`npm install ${o.install}\` to ${o.purpose}`;
}

/**
 * The package an import failed to find (Node's ERR_MODULE_NOT_FOUND for a bare specifier,
 * "Cannot find package 'x' imported from ..."), or null for any other failure.
 */
export function missingPackage(err: unknown): string | null {
  if ((err as { code?: unknown } | null)?.code !== 'ERR_MODULE_NOT_FOUND') return null;
  return /Cannot find package '([^']+)'/.exec((err as Error).message)?.[1] ?? null;
}
