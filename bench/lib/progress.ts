/**
 * A one-line progress bar for the terminal: `[████░░░░] 12/40 suites · savina-big · round 3/26 nact`.
 * Drawn only when stdout is a TTY (a redirected run gets plain lines and no control codes);
 * `log()` clears the bar, prints, and redraws it, so tables and the bar never mix.
 */

export interface ProgressState {
  suite: string;
  suiteIndex: number;
  suites: number;
  done: number;
  total: number;
  variant: string;
}

const WIDTH = 24;

/** The bar's text for a state, without control codes (pure; unit-tested). */
export function progressLine(s: ProgressState, elapsedS: number, columns = 100): string {
  const frac = s.suites === 0 ? 1 : (s.suiteIndex + (s.total === 0 ? 0 : s.done / s.total)) / s.suites;
  const filled = Math.max(0, Math.min(WIDTH, Math.round(frac * WIDTH)));
  const bar = `${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)}`;
  const round = s.total === 0 ? '' : ` · round ${Math.min(s.done + 1, s.total)}/${s.total} ${s.variant}`;
  const line = `[${bar}] ${(frac * 100).toFixed(0).padStart(3)}% · suite ${s.suiteIndex + 1}/${s.suites} ${s.suite}${round} · ${elapsedS.toFixed(0)} s`;
  return line.length > columns - 1 ? line.slice(0, columns - 1) : line;
}

export class Progress {
  private state: ProgressState | null = null;
  private readonly t0 = performance.now();
  private readonly tty: boolean;

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {
    this.tty = out.isTTY === true;
  }

  update(patch: Partial<ProgressState>): void {
    this.state = { suite: '', suiteIndex: 0, suites: 0, done: 0, total: 0, variant: '', ...this.state, ...patch };
    this.draw();
  }

  log(line: string): void {
    this.clear();
    this.out.write(`${line}\n`);
    this.draw();
  }

  /** Removes the bar for good (end of the run). */
  stop(): void {
    this.clear();
    this.state = null;
  }

  private clear(): void {
    if (this.tty && this.state !== null) this.out.write('\r\x1b[2K');
  }

  private draw(): void {
    if (!this.tty || this.state === null) return;
    this.out.write(`\r\x1b[2K${progressLine(this.state, (performance.now() - this.t0) / 1000, this.out.columns ?? 100)}`);
  }
}
