/**
 * Renders bench/results.json into bench/RESULTS.md. A pure function of the results (no clock,
 * no file system), so it can be unit-tested with a hand-made BenchResults.
 */

import {
  RESULTS_SCHEMA,
  type BenchResults,
  type MicroTable,
  type RoundsRow,
  type RoundsTable,
  type SuiteResult,
  type Target,
} from './lib/types.js';
import { savinaSanitize } from './lib/stats.js';
import { renderBarChart } from './lib/svg-chart.js';

/** The outcome of one target: `met` is undefined when a row it needs has no value. */
export interface TargetVerdict {
  target: Target;
  /** Ratio of medians (with `against`) or the row's median (without). */
  measured?: number;
  met?: boolean;
  /** Why there is no verdict. */
  missing?: string;
}

export function evaluateTarget(table: RoundsTable, target: Target): TargetVerdict {
  const row = table.rows.find((r) => r.id === target.row);
  if (row?.value === undefined) return { target, missing: `no value for ${target.row}` };
  let measured = row.value.median;
  if (target.against !== undefined) {
    const base = table.rows.find((r) => r.id === target.against);
    if (base?.value === undefined) return { target, missing: `no value for ${target.against}` };
    measured /= base.value.median;
  }
  const met = target.op === '>=' ? measured >= target.value : measured <= target.value;
  return { target, measured, met };
}

// ---- number formatting -------------------------------------------------------------------

/** 3 significant digits with an SI suffix: 1.23 M, 456 k, 12.3. */
export function formatSi(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  const [div, suffix] = abs >= 1e9 ? [1e9, ' G'] : abs >= 1e6 ? [1e6, ' M'] : abs >= 1e3 ? [1e3, ' k'] : [1, ''];
  return `${toPrecision3(v / div)}${suffix}`;
}

function toPrecision3(v: number): string {
  const abs = Math.abs(v);
  if (abs >= 100) return v.toFixed(0);
  if (abs >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** A value in a table's unit: rates with SI suffixes, times with 3 significant digits. */
export function formatValue(v: number, unit: string): string {
  return unit === 'msg/s' || unit === 'B' ? formatSi(v) : toPrecision3(v);
}

/** A round target value: 5 M, 0.2, 10 k — no padding zeros. */
function formatTargetValue(v: number, unit: string): string {
  if (unit !== 'msg/s') return String(v);
  const [div, suffix] = v >= 1e6 ? [1e6, ' M'] : v >= 1e3 ? [1e3, ' k'] : [1, ''];
  return `${Number((v / div).toPrecision(3))}${suffix}`;
}

export function formatRatio(r: number): string {
  if (!Number.isFinite(r)) return '—';
  return `${r >= 10 ? r.toFixed(1) : r >= 0.1 ? r.toFixed(2) : r.toFixed(3)}×`;
}

function opText(op: Target['op']): string {
  return op === '>=' ? '≥' : '≤';
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function rowLabel(table: RoundsTable, id: string): string {
  return table.rows.find((r) => r.id === id)?.label ?? id;
}

export function targetText(table: RoundsTable, t: Target): string {
  return t.against !== undefined
    ? `${opText(t.op)} ${t.value}× ${rowLabel(table, t.against)}`
    : `${opText(t.op)} ${formatTargetValue(t.value, table.unit)} ${table.unit}`;
}

function verdictText(v: TargetVerdict): string {
  if (v.met === undefined) return '— no data';
  return v.met ? '✅ yes' : '❌ no';
}

function measuredText(table: RoundsTable, v: TargetVerdict): string {
  if (v.measured === undefined) return '—';
  return v.target.against !== undefined ? formatRatio(v.measured) : `${formatValue(v.measured, table.unit)} ${table.unit}`;
}

// ---- sections ---------------------------------------------------------------------------

function renderHeader(r: BenchResults): string[] {
  const m = r.machine;
  const mode = r.run.quick
    ? '**quick** (small workloads: checks the harness, numbers not for quoting)'
    : 'full';
  const other = r.run.otherCpuCores;
  const suites = r.run.only === null ? 'all' : `only ${r.run.only.map((s) => `\`${s}\``).join(', ')}`;
  return [
    '# troupe benchmark results',
    '',
    '> **Generated file — do not edit by hand.** Written by troupe\'s bench (`npm run bench` in a source',
    '> checkout, `npx troupe bench --out <dir>` from an installed package), rendered from its `results.json`.',
    '> Run the bench again to update it.',
    '',
    '| | |',
    '|---|---|',
    `| Machine | ${escapeCell(m.cpuModel)}, ${m.cores} cores${m.virtualized ? ' (virtual machine)' : ''}, ${m.totalMemGiB} GiB RAM |`,
    `| OS | ${escapeCell(m.platform)} ${m.arch} |`,
    `| Node | ${m.node} (V8 ${m.v8})${m.nodeFlags?.length ? `; flags ${m.nodeFlags.map((f) => `\`${f}\``).join(' ')}` : ''} |`,
    `| Run | ${r.startedAt}, ${mode}; suites: ${suites}; ${r.run.warmupRounds} warm-up + ${r.run.rounds} measured rounds; took ${(r.durationMs / 1000).toFixed(0)} s |`,
    `| Other load | load average ${load(r.run.loadAvgStart)} (1/5/15 min) at start; other processes used ${other === null ? 'unknown' : `${other.toFixed(2)} cores`} on average during the run |`,
    '',
    ...(other !== null && other > BUSY_OTHER_CORES
      ? [
          `> **Warning:** other processes kept ${other.toFixed(2)} cores busy on average while this ran; the`,
          '> numbers are skewed by it and not comparable with a run on a quiet machine.',
          '',
        ]
      : []),
  ];
}

function load(values: number[]): string {
  return values.map((v) => v.toFixed(2)).join(' / ');
}

/** Above this many cores kept busy by other processes, the report warns that the run shared the machine. */
export const BUSY_OTHER_CORES = 0.1;

function renderTargetSummary(r: BenchResults): string[] {
  const lines: string[] = [];
  for (const s of r.suites) {
    for (const t of s.tables) {
      if (t.kind !== 'rounds') continue;
      for (const target of t.targets) {
        const v = evaluateTarget(t, target);
        lines.push(
          `| ${escapeCell(t.title)} | ${escapeCell(rowLabel(t, target.row))} ${escapeCell(targetText(t, target))} | ${measuredText(t, v)} | ${verdictText(v)} |`,
        );
      }
    }
  }
  if (lines.length === 0) return [];
  return [
    '## Targets',
    '',
    'Judged on medians over the measured rounds (ratios are median ÷ median).',
    '',
    '| Scenario | Target | Measured | Met |',
    '|---|---|---|---|',
    ...lines,
    '',
  ];
}

function renderRoundsTable(t: RoundsTable): string[] {
  const better = t.better === 'higher' ? 'higher is better' : 'lower is better';
  const savina = t.savinaRule === true;
  const head = [
    'Implementation',
    `${t.unit}, median`,
    'min – max',
    ...(savina ? ['Savina ±20 % (kept)'] : []),
    ...t.baselines.map((b) => `× ${rowLabel(t, b)}`),
    ...(t.targets.length > 0 ? ['Target', 'Met'] : []),
  ];
  const numeric = 3 + (savina ? 1 : 0) + t.baselines.length;
  const align = head.map((_, i) => (i === 0 || i >= numeric ? '---' : '---:'));
  const ratioNote =
    t.baselines.length === 0
      ? ''
      : ` Ratio columns: this row's median ÷ that row's median${t.better === 'lower' ? ' (above 1× = slower than it)' : ' (above 1× = faster than it)'}.`;
  const savinaNote = savina ? ' Savina ±20 %: the median of the rounds within ±20 % of the median, and how many rounds that kept (Savina\'s harness rule).' : '';
  const out = [`### ${t.title}`, '', `${t.unit}, ${better}.${ratioNote}${savinaNote}`, '', `| ${head.join(' | ')} |`, `|${align.join('|')}|`];
  const errors: string[] = [];
  for (const row of t.rows) {
    const cells: string[] = [escapeCell(row.label) + (row.version === undefined ? '' : ` <sub>${escapeCell(row.version)}</sub>`)];
    if (row.value === undefined) {
      cells.push('—', '—', ...(savina ? ['—'] : []), ...t.baselines.map(() => '—'));
      errors.push(`- ${escapeCell(row.label)}: ${escapeCell(row.error ?? 'no value')}`);
    } else {
      const v = row.value;
      cells.push(formatValue(v.median, t.unit), `${formatValue(v.min, t.unit)} – ${formatValue(v.max, t.unit)}`);
      if (savina) {
        const k = savinaSanitize(v.samples);
        cells.push(`${formatValue(k.median, t.unit)} (${k.kept}/${k.total})`);
      }
      for (const b of t.baselines) {
        const base = t.rows.find((r) => r.id === b)?.value;
        cells.push(b === row.id ? '1×' : base === undefined ? '—' : formatRatio(v.median / base.median));
      }
    }
    if (t.targets.length > 0) {
      const mine = t.targets.filter((x) => x.row === row.id);
      cells.push(
        mine.map((x) => escapeCell(targetText(t, x))).join('<br>') || '',
        mine.map((x) => verdictText(evaluateTarget(t, x))).join('<br>') || '',
      );
    }
    out.push(`| ${cells.join(' | ')} |`);
  }
  out.push('');
  if (t.chart === true) out.push(`![${escapeCell(t.title.replace(/[[\]]/g, ''))}](${chartFile(t)})`, '');
  const notes = t.rows.filter((r: RoundsRow) => r.note !== undefined).map((r) => `- ${escapeCell(r.label)}: ${escapeCell(r.note!)}`);
  if (errors.length > 0) out.push('Not measured:', '', ...errors, '');
  if (notes.length > 0) out.push('Notes:', '', ...notes, '');
  return out;
}

/** Where a table's chart goes, relative to bench/ (RESULTS.md links it from there). */
export function chartFile(t: RoundsTable): string {
  return `charts/${t.id.replace(/[^a-z0-9-]/gi, '_')}.svg`;
}

/** Every chart of the results: path relative to bench/, and the SVG text. */
export function renderCharts(results: BenchResults): { file: string; svg: string }[] {
  const out: { file: string; svg: string }[] = [];
  for (const s of results.suites) {
    for (const t of s.tables) {
      if (t.kind === 'rounds' && t.chart === true) out.push({ file: chartFile(t), svg: renderBarChart(t, (v) => `${formatValue(v, t.unit)} ${t.unit}`) });
    }
  }
  return out;
}

function renderMicroTable(t: MicroTable): string[] {
  const out = [
    `### ${t.title}`,
    '',
    '| Operation | ns/op, mean | ± rme | ns/op, p50 | ns/op, p99 | ops/s | |',
    '|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of t.rows) {
    if (r.meanNs === undefined) {
      out.push(`| ${escapeCell(r.name)} | — | — | — | — | — | ${escapeCell(r.error ?? 'no value')} |`);
      continue;
    }
    const f = (v: number | undefined) => (v === undefined ? '—' : toPrecision3(v));
    out.push(
      `| ${escapeCell(r.name)} | ${f(r.meanNs)} | ${r.rmePct === undefined ? '—' : `${r.rmePct.toFixed(1)} %`} | ${f(r.p50Ns)} | ${f(r.p99Ns)} | ${r.opsPerSec === undefined ? '—' : formatSi(r.opsPerSec)} | ${escapeCell(r.note ?? '')} |`,
    );
  }
  out.push('');
  return out;
}

function renderSuite(s: SuiteResult): string[] {
  const out = [`## ${s.title}`, '', `\`--only ${s.name}\` · ${(s.durationMs / 1000).toFixed(1)} s`, '', s.description, ''];
  if (s.error !== undefined) out.push(`**Suite failed:** ${escapeCell(s.error)}`, '');
  for (const t of s.tables) out.push(...(t.kind === 'rounds' ? renderRoundsTable(t) : renderMicroTable(t)));
  return out;
}

const METHOD = [
  '## Method',
  '',
  '- Every implementation in a table runs in the same process and the same run. Each round runs every',
  '  implementation once, in an order rotated every round (A B C, B C A, C A B, …); warm-up rounds run the',
  '  same way and are discarded. A full GC of the main thread runs before every round of every implementation.',
  '- Tables show the median over the measured rounds and the min – max spread; ratio columns divide medians.',
  '- Baselines are raw `postMessage` on a `MessageChannel` between the same threads, in worker scripts under',
  '  `bench/baselines/`; troupe actors are in `bench/actors/`. The message is a fresh `{type:\'inc\', by:1, id:7}`',
  '  per send for every implementation.',
  '- Micro-benchmarks use tinybench; each timed call does a fixed number of operations, costs are per operation.',
  '- Savina suites (`savina-*`): the parameters and PseudoRandom generator of Savina (Imam & Sarkar 2014) and Skynet.',
  '  Every round\'s result is checked (a wrong answer fails the implementation instead of being timed). troupe\'s time is',
  '  taken inside the worker running its driver actor, from before the benchmark\'s actors are created until the last one',
  '  reports; the peers\' on the main thread around the same work (a fresh actor system per round, created untimed).',
  '  In-process libraries (nact, xstate, comedy) run the same handlers (`bench/peers/portable.ts`) through their own API.',
  '  Erlang/OTP runs the same actors as processes (`bench/peers/savina.erl`, one `erl +S <cores>` per benchmark, started',
  '  untimed), timed inside the VM the same way; when `erl` is not installed its rows say so.',
  '  Besides the plain median, each row shows Savina\'s sanitised median (rounds outside ±20 % of the median dropped).',
  '',
];

export function renderReport(results: BenchResults): string {
  if (results.schema !== RESULTS_SCHEMA) {
    throw new Error(`results schema ${String(results.schema)} is not ${RESULTS_SCHEMA}`);
  }
  const lines = [...renderHeader(results), ...renderTargetSummary(results)];
  for (const s of results.suites) lines.push(...renderSuite(s));
  lines.push(...METHOD);
  return lines.join('\n');
}
