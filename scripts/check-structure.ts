/**
 * `npm run check:structure [-- <root>]`: checks src/ against the rules in structure.ts (files of
 * at most 400 lines, no import cycle, no import of the bridge from the layers below it), prints
 * what breaks them, and exits 1 if anything does. `root` defaults to the current folder (npm runs
 * scripts from the package's).
 */
import { runCheck } from './structure.js';

process.exitCode = runCheck(process.argv[2] ?? process.cwd(), (text) => console.log(text));
