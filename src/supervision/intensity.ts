/**
 * Restart intensity, as in OTP's supervisor: at most `maxRestarts` restarts within `withinMs`.
 * Restart times are kept on a monotonic clock and pruned to the window; the check comes before
 * the restart, so the (maxRestarts + 1)-th failure within the window is refused and the
 * supervisor escalates instead.
 */
export class RestartIntensity {
  private readonly times: number[] = [];

  constructor(private readonly maxRestarts: number, private readonly withinMs: number) {}

  /** Records a restart at `now` if allowed; returns false when it would exceed the intensity. */
  tryRestart(now: number): boolean {
    const times = this.times;
    while (times.length > 0 && now - times[0]! >= this.withinMs) times.shift();
    if (times.length >= this.maxRestarts) return false;
    times.push(now);
    return true;
  }

  /** Restarts counted in the window as of the last check. */
  get recent(): number {
    return this.times.length;
  }
}
