/**
 * The rules src/ keeps to, checked by `npm run check:structure` (scripts/check-structure.ts):
 *
 * - a `.ts` file is at most MAX_LINES (400) lines;
 * - no import cycle among the files of src/;
 * - src/runtime, src/actors and src/supervision do not import src/bridge (LOWER_LAYERS,
 *   BRIDGE): the bridge builds on them, never the other way round.
 *
 * Imports are read from the syntax of each file and resolved as the compiler resolves them. The
 * cycle and layer rules count only imports that are there at run time: `import type`,
 * `export type`, and an import or re-export whose every name is marked `type` are erased by the
 * compiler, so they neither order module evaluation nor load the other layer, and a message type
 * shared across layers is what `import type` is for. An import without those marks counts even if
 * it brings in only types (mark it `type`): the checker reads the text, as a reader does.
 * Dynamic `import()` is not counted either: it loads a module when it runs, not when this one loads.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';

/** The most lines a `.ts` file under src/ may have. */
export const MAX_LINES = 400;
/** The folder whose files the rules apply to, relative to the root. */
export const SRC = 'src';
/** The layers below the bridge: none of their files may import a file of BRIDGE at run time. */
export const LOWER_LAYERS = ['src/runtime/', 'src/actors/', 'src/supervision/'] as const;
export const BRIDGE = 'src/bridge/';

/** What breaks the rules. Files are relative to the root, with `/`. */
export interface StructureReport {
  /** How many `.ts` files were read, and how many run-time imports between them were found. */
  files: number;
  imports: number;
  /** Files over MAX_LINES, largest first. */
  oversized: { file: string; lines: number }[];
  /**
   * One entry per group of files that import each other in a circle (a strongly connected
   * component): a shortest cycle through the group's first file, that file repeated at the end,
   * and every file of the group (sorted), which may be more than the cycle shows.
   */
  cycles: { cycle: string[]; group: string[] }[];
  /** Run-time imports of BRIDGE from LOWER_LAYERS, by file and line. */
  layerImports: { file: string; line: number; imports: string }[];
}

interface Import { to: string; line: number; typeOnly: boolean }

const RESOLUTION: ts.CompilerOptions = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext };

/** Checks the `.ts` files under `<root>/src`. */
export function checkStructure(root: string): StructureReport {
  const files = tsFiles(join(root, SRC)).map((abs) => ({ abs, file: slash(relative(root, abs)) }));
  const known = new Set(files.map((f) => f.file));
  const oversized: StructureReport['oversized'] = [];
  const graph = new Map<string, string[]>();
  const layerImports: StructureReport['layerImports'] = [];
  let imports = 0;
  for (const { abs, file } of files) {
    const text = readFileSync(abs, 'utf8');
    const lines = lineCount(text);
    if (lines > MAX_LINES) oversized.push({ file, lines });
    const edges: string[] = [];
    graph.set(file, edges);
    if (file.endsWith('.d.ts')) continue;
    for (const i of importsOf(abs, text, root)) {
      if (i.typeOnly || !known.has(i.to)) continue;
      imports++;
      if (!edges.includes(i.to)) edges.push(i.to);
      if (i.to.startsWith(BRIDGE) && LOWER_LAYERS.some((l) => file.startsWith(l))) {
        layerImports.push({ file, line: i.line, imports: i.to });
      }
    }
  }
  oversized.sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file));
  return { files: files.length, imports, oversized, cycles: cyclesOf(graph), layerImports };
}

/** How many rules are broken, counting each file, cycle and import once. */
export function problemCount(r: StructureReport): number {
  return r.oversized.length + r.cycles.length + r.layerImports.length;
}

/** The report as a reader wants it: one line per problem, under a heading per rule. */
export function formatReport(r: StructureReport): string {
  const out: string[] = [];
  const n = problemCount(r);
  out.push(`src/ structure: ${r.files} files, ${r.imports} run-time imports between them; ${n === 0 ? 'no problems' : `${n} problem${n === 1 ? '' : 's'}`}`);
  if (r.oversized.length > 0) {
    out.push(`\nfiles over ${MAX_LINES} lines (split them: one concept per file):`);
    for (const o of r.oversized) out.push(`  ${o.file}: ${o.lines} lines`);
  }
  if (r.cycles.length > 0) {
    out.push('\nimport cycles (run-time imports; `import type` is not counted):');
    for (const c of r.cycles) {
      out.push(`  ${c.cycle.join(' → ')}`);
      const rest = c.group.filter((f) => !c.cycle.includes(f));
      if (rest.length > 0) out.push(`    and in the same circle: ${rest.join(', ')}`);
    }
  }
  if (r.layerImports.length > 0) {
    out.push(`\n${BRIDGE} imported at run time from ${LOWER_LAYERS.join(', ')} (the bridge builds on them):`);
    for (const l of r.layerImports) out.push(`  ${l.file}:${l.line} imports ${l.imports}`);
  }
  return out.join('\n');
}

/** Checks `root`, writes the report with `print`; 1 if a rule is broken, else 0. */
export function runCheck(root: string, print: (text: string) => void): number {
  const report = checkStructure(root);
  print(formatReport(report));
  return problemCount(report) === 0 ? 0 : 1;
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(path));
    else if (e.isFile() && e.name.endsWith('.ts')) out.push(path);
  }
  return out.sort();
}

/** Lines as an editor numbers them: a final newline does not start another. */
function lineCount(text: string): number {
  if (text === '') return 0;
  const n = text.split('\n').length;
  return text.endsWith('\n') ? n - 1 : n;
}

/** The static imports and re-exports of a file, resolved to files relative to `root`. */
function importsOf(abs: string, text: string, root: string): Import[] {
  const source = ts.createSourceFile(abs, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: Import[] = [];
  for (const s of source.statements) {
    let spec: ts.Expression | undefined;
    let typeOnly = false;
    if (ts.isImportDeclaration(s)) {
      spec = s.moduleSpecifier;
      const c = s.importClause;
      // `import './x.js'` (no clause) is there for its side effects: it counts.
      if (c) typeOnly = c.isTypeOnly || (!c.name && c.namedBindings !== undefined && ts.isNamedImports(c.namedBindings)
        && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly));
    } else if (ts.isExportDeclaration(s) && s.moduleSpecifier) {
      spec = s.moduleSpecifier;
      typeOnly = s.isTypeOnly || (s.exportClause !== undefined && ts.isNamedExports(s.exportClause)
        && s.exportClause.elements.length > 0 && s.exportClause.elements.every((e) => e.isTypeOnly));
    } else if (ts.isImportEqualsDeclaration(s) && ts.isExternalModuleReference(s.moduleReference)) {
      spec = s.moduleReference.expression;
      typeOnly = s.isTypeOnly;
    }
    if (!spec || !ts.isStringLiteral(spec)) continue;
    const resolved = ts.resolveModuleName(spec.text, abs, RESOLUTION, ts.sys).resolvedModule;
    if (!resolved) continue;
    const line = source.getLineAndCharacterOfPosition(s.getStart(source)).line + 1;
    out.push({ to: slash(relative(root, resolved.resolvedFileName)), line, typeOnly });
  }
  return out;
}

/** Tarjan's strongly connected components; for each with a cycle, a shortest cycle through its first file. */
function cyclesOf(graph: Map<string, string[]>): StructureReport['cycles'] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  let next = 0;
  // Recursive: src/ has a few hundred files at most, far from the stack's limit.
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || (graph.get(v) ?? []).includes(v)) groups.push(group.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return groups
    .map((group) => ({ cycle: shortestCycle(graph, group[0]!, new Set(group)), group }))
    .sort((a, b) => a.group[0]!.localeCompare(b.group[0]!));
}

/** Breadth-first from `start` back to it, within `group`. */
function shortestCycle(graph: Map<string, string[]>, start: string, group: Set<string>): string[] {
  const from = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i]!;
    for (const w of graph.get(v) ?? []) {
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(from.get(path[0]!)!);
        return [...path, start];
      }
      if (group.has(w) && !from.has(w)) {
        from.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start]; // not reached: every file of a group is on a cycle through `start`
}

function slash(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}
