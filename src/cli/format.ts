/**
 * Text for the terminal, as pure functions: colours (only when asked: the commands ask when stdout
 * is a TTY and NO_COLOR is unset), fitting text to a width, numbers and times.
 */

export type Colour = 'green' | 'yellow' | 'red' | 'dim' | 'bold';

const SGR: Record<Colour, string> = { green: '32', yellow: '33', red: '31', dim: '2', bold: '1' };

/** Wraps `s` in an ANSI colour, or returns it as it is when `on` is false. */
export function paint(s: string, colour: Colour, on: boolean): string {
  return on ? `\x1b[${SGR[colour]}m${s}\x1b[0m` : s;
}

/** Whether to colour: stdout is a terminal and NO_COLOR is unset (https://no-color.org). */
export function colourWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}

/** The colour of a status or severity: green when well, yellow for a warning, red when critical. */
export function levelColour(level: string): Colour {
  switch (level) {
    case 'healthy': case 'info': case 'closed': return 'green';
    case 'degraded': case 'warning': case 'warn': case 'half-open': return 'yellow';
    default: return 'red';
  }
}

/** `s` cut to `width` characters, the cut marked with '…' at the end. */
export function cutEnd(s: string, width: number): string {
  if (s.length <= width) return s;
  return width <= 0 ? '' : `${s.slice(0, width - 1)}…`;
}

/** `s` cut to `width` characters from the left (a path's end tells most), the cut marked with '…'. */
export function cutStart(s: string, width: number): string {
  if (s.length <= width) return s;
  return width <= 0 ? '' : `…${s.slice(s.length - width + 1)}`;
}

/** A count in at most 6 characters: 1234, 12.3k, 4.5M. */
export function compact(n: number): string {
  const a = Math.abs(n);
  if (a < 10_000) return String(Math.round(n));
  if (a < 1e6) return `${(n / 1e3).toFixed(a < 1e5 ? 1 : 0)}k`;
  if (a < 1e9) return `${(n / 1e6).toFixed(a < 1e8 ? 1 : 0)}M`;
  return `${(n / 1e9).toFixed(1)}G`;
}

/** Bytes in MiB, e.g. 41.3 (no unit). */
export function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(bytes < 10 * 1048576 ? 1 : 0);
}

/** A percentage of a 0..1 share, e.g. '34%'. */
export function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

/** An epoch-ms time as ISO 8601 (UTC, with ms), or '-' for none. */
export function isoTime(t: number | null | undefined): string {
  return typeof t === 'number' && Number.isFinite(t) ? new Date(t).toISOString() : '-';
}

/** Right-aligns `s` in `width`. */
export function right(s: string, width: number): string {
  return s.length >= width ? s : ' '.repeat(width - s.length) + s;
}

/** Left-aligns `s` in `width` (cutting it if longer). */
export function left(s: string, width: number): string {
  return s.length >= width ? cutEnd(s, width) : s + ' '.repeat(width - s.length);
}
