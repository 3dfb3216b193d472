import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkStructure, formatReport, MAX_LINES, runCheck } from '../../scripts/structure.js';

const trees: string[] = [];
afterAll(() => { for (const t of trees) rmSync(t, { recursive: true, force: true }); });

/** Writes a tree of files (path → text) into a new temporary folder; its path. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'troupe-structure-'));
  trees.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const lines = (n: number) => 'export const x = 1;\n'.repeat(n);

/** A tree that keeps every rule, close to each line: the checker must not find anything in it. */
const clean = {
  'src/runtime/a.ts': "import { b } from './b.js';\nimport type { X } from '../bridge/x.js';\nimport { type Y } from '../bridge/x.js';\nexport const a = (x: X, y: Y) => b + x + y;\n",
  'src/runtime/b.ts': `export const b = 1;\n${lines(MAX_LINES - 1)}`,
  'src/runtime/c.ts': "export type { X } from '../bridge/x.js';\nexport async function c() { return import('../bridge/x.js'); }\n",
  'src/bridge/x.ts': "import { a } from '../runtime/a.js';\nexport type X = number;\nexport type Y = number;\nexport const x = a;\n",
  // A cycle of type-only imports is erased at run time: not counted.
  'src/actors/p.ts': "import type { Q } from './q.js';\nexport type P = { q?: Q };\n",
  'src/actors/q.ts': "import type { P } from './p.js';\nexport type Q = { p?: P };\n",
  'src/types/lib.d.ts': `declare module 'lib' {}\n`,
};

describe('the structure check', () => {
  it('finds nothing in a tree that keeps the rules: a file of exactly 400 lines, type-only imports of the bridge and type-only cycles', () => {
    const report = checkStructure(tree(clean));
    expect(report).toMatchObject({ files: 7, imports: 2, oversized: [], cycles: [], layerImports: [] });
    expect(formatReport(report)).toContain('no problems');
  });

  it('lists a file over 400 lines, each import cycle and each run-time import of the bridge from a lower layer', () => {
    const report = checkStructure(tree({
      ...clean,
      'src/runtime/long.ts': lines(MAX_LINES + 1),
      'src/cli/big.ts': `${lines(MAX_LINES + 50)}`,
      // a → b → c → a, and d also in that circle (b → d → b)
      'src/observability/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'src/observability/b.ts': "import { c } from './c.js';\nimport { d } from './d.js';\nexport const b = () => c() + d();\n",
      'src/observability/c.ts': "import { a } from './a.js';\nexport const c = () => a;\n",
      'src/observability/d.ts': "import './b.js';\nexport const d = () => 1;\n",
      'src/cli/self.ts': "export * from './self.js';\n",
      // Each way of importing the bridge at run time, from each lower layer.
      'src/runtime/value.ts': "import { x } from '../bridge/x.js';\nexport const v = x;\n",
      'src/actors/mixed.ts': "\n\nimport { x, type X } from '../bridge/x.js';\nexport const m: X = x;\n",
      'src/supervision/side-effect.ts': "import '../bridge/x.js';\n",
      'src/supervision/re-export.ts': "export { x } from '../bridge/x.js';\n",
    }));
    expect(report.oversized).toEqual([{ file: 'src/cli/big.ts', lines: MAX_LINES + 50 }, { file: 'src/runtime/long.ts', lines: MAX_LINES + 1 }]);
    expect(report.cycles).toEqual([
      { cycle: ['src/cli/self.ts', 'src/cli/self.ts'], group: ['src/cli/self.ts'] },
      {
        cycle: ['src/observability/a.ts', 'src/observability/b.ts', 'src/observability/c.ts', 'src/observability/a.ts'],
        group: ['src/observability/a.ts', 'src/observability/b.ts', 'src/observability/c.ts', 'src/observability/d.ts'],
      },
    ]);
    expect(report.layerImports).toEqual([
      { file: 'src/actors/mixed.ts', line: 3, imports: 'src/bridge/x.ts' },
      { file: 'src/runtime/value.ts', line: 1, imports: 'src/bridge/x.ts' },
      { file: 'src/supervision/re-export.ts', line: 1, imports: 'src/bridge/x.ts' },
      { file: 'src/supervision/side-effect.ts', line: 1, imports: 'src/bridge/x.ts' },
    ]);
  });

  it('prints every problem and returns 1 when a rule is broken, 0 when none is', () => {
    let out = '';
    const bad = tree({ 'src/runtime/a.ts': "import { b } from './b.js';\nexport const a = 1;\n", 'src/runtime/b.ts': "import { a } from './a.js';\nexport const b = a;\n", 'src/runtime/c.ts': "export { x } from '../bridge/x.js';\n", 'src/bridge/x.ts': 'export const x = 1;\n' });
    expect(runCheck(bad, (t) => { out = t; })).toBe(1);
    expect(out).toContain('2 problems');
    expect(out).toContain('src/runtime/a.ts → src/runtime/b.ts → src/runtime/a.ts');
    expect(out).toContain('src/runtime/c.ts:1 imports src/bridge/x.ts');
    expect(runCheck(tree(clean), () => {})).toBe(0);
  });

  it("reads the repo's own src/: every file, and the imports between them", () => {
    const report = checkStructure(fileURLToPath(new URL('../..', import.meta.url)));
    expect(report.files).toBeGreaterThan(50);
    expect(report.imports).toBeGreaterThan(100);
  });
});
