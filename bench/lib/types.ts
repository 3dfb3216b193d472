/**
 * The shape of `bench/results.json`: what the runner measured, and everything the report
 * generator (`bench/report.ts`) needs to render `bench/RESULTS.md` from it alone.
 *
 * Bump `schema` when a field changes meaning; the report refuses schemas it does not know.
 */

export const RESULTS_SCHEMA = 1;

export interface BenchResults {
  schema: typeof RESULTS_SCHEMA;
  /** ISO time the run started. */
  startedAt: string;
  /** Wall time of the whole run, milliseconds. */
  durationMs: number;
  machine: MachineInfo;
  run: RunConfig;
  suites: SuiteResult[];
}

export interface MachineInfo {
  /** e.g. "AMD EPYC (family 26, model 2)" — os.cpus() model plus /proc/cpuinfo family/model when known. */
  cpuModel: string;
  /** Logical CPUs the process may use (os.availableParallelism()). */
  cores: number;
  /** True when /proc/cpuinfo flags say "hypervisor". */
  virtualized: boolean;
  totalMemGiB: number;
  platform: string;
  arch: string;
  node: string;
  v8: string;
  /** The flags the bench's process ran with (absent in results written before they were kept). */
  nodeFlags?: string[];
}

export interface RunConfig {
  quick: boolean;
  /** Suite-name filters given with --only, or null for all suites. */
  only: string[] | null;
  /** Peer ids given with --peers, or null for all (absent in older results). */
  peers?: string[] | null;
  warmupRounds: number;
  rounds: number;
  /** os.loadavg() (1, 5, 15 min) when the run started: work just before it. */
  loadAvgStart: number[];
  /**
   * CPU used by other processes while the bench ran, as the average number of cores they kept
   * busy (Linux /proc/stat, minus this process); null where unknown. Above ~0.1, something else
   * (a build, a test suite) shared the machine and the numbers are not comparable.
   */
  otherCpuCores: number | null;
}

/** One scenario (or family of scenarios) of the runner, e.g. "throughput" or, later, "savina-counting". */
export interface SuiteResult {
  name: string;
  title: string;
  /** What is measured and how; rendered under the suite heading. */
  description: string;
  /** Sizes used in this run (messages per round, round trips per round, ...). */
  params: Record<string, number | string>;
  durationMs: number;
  /** Set when the suite could not run at all (its tables may then be empty). */
  error?: string;
  tables: Array<RoundsTable | MicroTable>;
}

/** Median / min / max over the measured rounds; `samples` are the per-round values in run order. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

export type Better = 'higher' | 'lower';

/** A table of interleaved-round measurements of one metric across implementations. */
export interface RoundsTable {
  kind: 'rounds';
  id: string;
  title: string;
  /** 'msg/s' | 'µs' | 'ns' — the unit of every Summary in the table. */
  unit: string;
  better: Better;
  /** Row ids that get a "× row" ratio column (subject median / baseline median). */
  baselines: string[];
  rows: RoundsRow[];
  targets: Target[];
  /** Draw an SVG bar chart of the medians (bench/charts/<id>.svg), embedded under the table. */
  chart?: boolean;
  /** Add Savina's sanitised median: rounds outside ±20 % of the median dropped, as its harness does. */
  savinaRule?: boolean;
}

export interface RoundsRow {
  id: string;
  label: string;
  /** 'troupe' rows are what we are judged on; 'baseline' rows are what we are judged against. */
  role: 'troupe' | 'baseline' | 'reference';
  value?: Summary;
  /** Why there is no value (scenario failed, timed out, troupe not built, ...). */
  error?: string;
  note?: string;
  /** The peer's package and version (e.g. "nact@7.6.2"). */
  version?: string;
}

/**
 * A goal for one row. With `against`, the goal is on the ratio of medians
 * (row / against); without it, on the row's median itself, in the table's unit.
 */
export interface Target {
  row: string;
  op: '>=' | '<=';
  value: number;
  against?: string;
}

/** tinybench results: one row per task, per-operation cost. */
export interface MicroTable {
  kind: 'micro';
  id: string;
  title: string;
  rows: MicroRow[];
}

export interface MicroRow {
  name: string;
  /** Mean cost of one operation, nanoseconds (tinybench mean latency / ops per call). */
  meanNs?: number;
  p50Ns?: number;
  p99Ns?: number;
  /** Relative margin of error of the mean, percent. */
  rmePct?: number;
  opsPerSec?: number;
  /** tinybench samples (calls of the task function), each doing `opsPerCall` operations. */
  samples?: number;
  opsPerCall?: number;
  error?: string;
  note?: string;
}
