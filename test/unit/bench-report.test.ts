import { describe, expect, it } from 'vitest';
import { renderCharts, renderReport } from '../../bench/report.js';
import { progressLine } from '../../bench/lib/progress.js';
import { RESULTS_SCHEMA } from '../../bench/lib/types.js';

const summary = (samples: number[]) => ({ median: [...samples].sort((a, b) => a - b)[samples.length >> 1]!, min: Math.min(...samples), max: Math.max(...samples), samples });

const results = {
  schema: RESULTS_SCHEMA,
  startedAt: '2025-01-02T03:04:05.000Z',
  durationMs: 61_000,
  machine: { cpuModel: 'Test CPU <x>', cores: 2, virtualized: true, totalMemGiB: 8, platform: 'Linux 6', arch: 'x64', node: 'v20.20.2', v8: '11.3' },
  run: { quick: false, only: ['savina'], peers: null, warmupRounds: 2, rounds: 5, loadAvgStart: [0.1, 0.1, 0.1], otherCpuCores: 0.01 },
  suites: [
    {
      name: 'savina-pingpong',
      title: 'Savina PingPong',
      description: 'Ping and Pong.',
      params: { n: 40000 },
      durationMs: 9000,
      tables: [
        {
          kind: 'rounds',
          id: 'savina-pingpong',
          title: 'PingPong (n = 40,000)',
          unit: 'ms',
          better: 'lower',
          baselines: ['troupe-1w', 'troupe-spread'],
          chart: true,
          savinaRule: true,
          targets: [],
          rows: [
            { id: 'troupe-1w', label: 'troupe, all actors on 1 worker', role: 'troupe', value: summary([10, 11, 9, 12, 30]) },
            { id: 'troupe-spread', label: 'troupe, spread over all workers', role: 'troupe', value: summary([40, 40, 40, 40, 40]) },
            { id: 'nact', label: 'nact', role: 'baseline', version: 'nact@7.6.2', value: summary([20, 22, 21, 20, 22]) },
            { id: 'ringbuf', label: 'ringbuf.js', role: 'baseline', error: 'not run: no actors here' },
          ],
        },
      ],
    },
  ],
};

describe('report generator', () => {
  it('renders a given results JSON: header, ratios to troupe, Savina\'s rule, why a peer did not run, the chart', () => {
    const md = renderReport(structuredClone(results) as never);
    expect(md).toContain('Generated file — do not edit by hand');
    expect(md).toContain('`npx troupe bench --out <dir>` from an installed package'); // not only `npm run bench`
    expect(md).toContain('Test CPU <x>, 2 cores (virtual machine)');
    expect(md).toContain('| Implementation | ms, median | min – max | Savina ±20 % (kept) | × troupe, all actors on 1 worker | × troupe, spread over all workers |');
    // troupe-1w: median 11, min 9, max 30; ±20 % of 11 keeps 10, 11, 9, 12 → median 10.5.
    expect(md).toContain('| troupe, all actors on 1 worker | 11.0 | 9.00 – 30.0 | 10.5 (4/5) | 1× | 0.28× |');
    expect(md).toContain('| nact <sub>nact@7.6.2</sub> | 21.0 | 20.0 – 22.0 | 21.0 (5/5) | 1.91× | 0.53× |');
    expect(md).toContain('| ringbuf.js | — | — | — | — | — |');
    expect(md).toContain('- ringbuf.js: not run: no actors here');
    expect(md).toContain('![PingPong (n = 40,000)](charts/savina-pingpong.svg)');
  });

  it('shows the flags the bench process ran with, and none for results kept before they were', () => {
    const md = renderReport(structuredClone(results) as never);
    expect(md).toContain('| Node | v20.20.2 (V8 11.3) |');
    const flagged = structuredClone(results);
    (flagged.machine as Record<string, unknown>).nodeFlags = ['--max-old-space-size=12288', '--no-memory-reducer'];
    expect(renderReport(flagged as never)).toContain('| Node | v20.20.2 (V8 11.3); flags `--max-old-space-size=12288` `--no-memory-reducer` |');
  });

  it('draws one SVG bar chart per charted table, escaped, with a bar per measured row and "not run" for the others', () => {
    const charts = renderCharts(structuredClone(results) as never);
    expect(charts.map((c) => c.file)).toEqual(['charts/savina-pingpong.svg']);
    const svg = charts[0]!.svg;
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<rect x="300"/g)).toHaveLength(3);
    expect(svg).toContain('not run (see table)');
    expect(svg).toContain('>11.0 ms<');
    expect(svg).not.toMatch(/<x>/);
    // The longest bar is the largest max (troupe-spread's 40 ms against troupe-1w's max of 30).
    expect(svg).toContain('width="420.0"');
  });

  it('refuses a results file of another schema', () => {
    expect(() => renderReport({ ...results, schema: 99 } as never)).toThrow(/schema/);
  });

  it('draws the progress line from suites and rounds done, cut to the terminal width', () => {
    const line = progressLine({ suite: 'savina-big', suiteIndex: 1, suites: 4, done: 5, total: 10, variant: 'nact' }, 12.4);
    expect(line).toBe('[█████████░░░░░░░░░░░░░░░]  38% · suite 2/4 savina-big · round 6/10 nact · 12 s');
    expect(progressLine({ suite: 'x', suiteIndex: 0, suites: 1, done: 0, total: 0, variant: '' }, 0, 20)).toHaveLength(19);
  });
});
