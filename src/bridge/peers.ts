/**
 * The nodes this node sends to, for health: when it last sent to each, and since when it has
 * waited to hear from each. Heard means any message from that node (over its stream or core
 * NATS: a reply, a tell) or an answer to a ping (ping.ts). The wait starts with the first send
 * after the node was last heard from, and ends when it is heard from again.
 *
 * `unseen()` reports a node sent to within the health window that has not been heard from for
 * `unseenMs` (30 s, or the health window if that is shorter) since the wait started. A node
 * waited on is pinged once a third of that has passed, so a live node that never writes back
 * (it is only told things) is still heard.
 */

/** The longest a peer may go unheard before health says so. */
export const UNSEEN_MS = 30_000;
/** How fine the send times are. */
const TICK_MS = 100;

interface Peer {
  /** When this node last sent to it (to within TICK_MS). */
  sent: number;
  /** The tick of that send: later sends in the same tick need no clock. */
  tick: number;
  /** Since when this node has waited to hear from it (0: not waiting). */
  waiting: number;
  pinging: boolean;
}

export class Peers {
  /** How long a peer may go unheard. */
  readonly unseenMs: number;
  private readonly peers = new Map<string, Peer>();
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly ticker: ReturnType<typeof setInterval>;
  private tick = 0;

  /**
   * `windowMs`: the health window. `ping(node)` resolves true when the node answered (false
   * when it did not, or could not be asked).
   */
  constructor(private readonly windowMs: number, private readonly ping: (node: string) => Promise<boolean>) {
    this.unseenMs = Math.min(UNSEEN_MS, windowMs);
    this.timer = setInterval(() => this.pingQuiet(), Math.max(100, Math.floor(this.unseenMs / 3)));
    this.timer.unref();
    this.ticker = setInterval(() => { this.tick++; }, TICK_MS);
    this.ticker.unref();
  }

  /** A message left for `node` (on the path of every remote send: a map lookup, and the clock once a tick). */
  sentTo(node: string): void {
    const p = this.peers.get(node);
    if (p !== undefined && p.tick === this.tick) return;
    const now = Date.now();
    if (p === undefined) this.peers.set(node, { sent: now, tick: this.tick, waiting: now, pinging: false });
    else {
      p.sent = now;
      p.tick = this.tick;
      if (p.waiting === 0) p.waiting = now;
    }
  }

  /** Something came from `node`. Only peers we send to are tracked (a subject token is anyone's to make up). */
  heardFrom(node: string): void {
    const p = this.peers.get(node);
    if (p === undefined) return;
    p.waiting = 0;
    p.tick = -1; // the next send starts a new wait, even within this tick
  }

  /** Peers sent to within the health window and waited on for longer than `unseenMs`, with how long (ms). */
  unseen(now = Date.now()): { node: string; ms: number }[] {
    const out: { node: string; ms: number }[] = [];
    for (const [node, p] of this.peers) {
      if (now - p.sent <= this.windowMs && p.waiting !== 0 && now - p.waiting > this.unseenMs) out.push({ node, ms: now - p.waiting });
    }
    return out;
  }

  private pingQuiet(): void {
    const now = Date.now();
    for (const [node, p] of this.peers) {
      // Not sent to for a while: forgotten until the next send (which starts a new wait).
      if (now - p.sent > this.windowMs + this.unseenMs) {
        this.peers.delete(node);
        continue;
      }
      if (p.pinging || p.waiting === 0 || now - p.waiting < this.unseenMs / 3) continue;
      p.pinging = true;
      void this.ping(node).then((answered) => {
        p.pinging = false;
        if (answered) this.heardFrom(node);
      });
    }
  }

  close(): void {
    clearInterval(this.timer);
    clearInterval(this.ticker);
  }
}
