/**
 * The last step of `npm run build`: puts the bench into the package, as dist/bench/ (package.json
 * ships dist/ only, and `troupe bench` runs dist/bench/run.js). It copies the compiled bench from
 * build/bench/ — the JavaScript of each .ts file under bench/, so that nothing compiled from a
 * removed file comes along, and no source maps (their sources are not shipped) — and the files
 * the bench reads at run time that are not TypeScript (ASSETS). dist/bench/ is this step's alone:
 * it is emptied first.
 *
 * The bench's files import 'troupe', which resolves to the package itself (its "exports", by
 * self-reference) both here in the repo and in an installed node_modules/troupe.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Files under bench/ that the bench reads at run time and that the compiler does not emit. */
const ASSETS = ['peers/savina.erl'];

/** Copies the compiled bench of `root` (a checkout, built) into `root`/dist/bench. */
function benchIntoDist(root: string): void {
  const source = join(root, 'bench');
  const compiled = join(root, 'build', 'bench');
  const target = join(root, 'dist', 'bench');
  rmSync(target, { recursive: true, force: true });
  const files = (readdirSync(source, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => ({ from: join(compiled, f.replace(/\.ts$/, '.js')), to: join(target, f.replace(/\.ts$/, '.js')) }));
  files.push(...ASSETS.map((f) => ({ from: join(source, f), to: join(target, f) })));
  for (const { from, to } of files) {
    if (!existsSync(from)) throw new Error(`${from} is missing: is build/ compiled (tsc -p tsconfig.json)?`);
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
  }
}

// From build/scripts/: the checkout's root.
benchIntoDist(fileURLToPath(new URL('../../', import.meta.url)));
