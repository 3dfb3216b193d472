/**
 * Msg ids of this node's JetStream publishes: `<node>.<token>.<seq>`. A stream drops a second
 * message with an id it has seen within its dedupe window, so a publish retried after an
 * ambiguous timeout is stored once (outbox.ts), and the receiving node drops a redelivery of an
 * id it is done with (receiver.ts).
 *
 * Toward another node (`to`), the token is a random one of that destination's: a node sees only
 * the ids meant for it, so it cannot guess (and squat in a stream's dedupe window) the ids of
 * messages meant for others. Other publishes (dead letters) share one random token of this run.
 */
import { randomBytes } from 'node:crypto';

export class MsgIds {
  private readonly boot = randomBytes(4).toString('hex');
  private readonly toNode = new Map<string, { token: string; seq: number }>();
  private seq = 0;

  constructor(private readonly node: string) {}

  /** The next id: of the messages toward node `to`, or of this run's other publishes. */
  next(to?: string): string {
    if (to === undefined) return `${this.node}.${this.boot}.${++this.seq}`;
    let d = this.toNode.get(to);
    if (d === undefined) this.toNode.set(to, (d = { token: randomBytes(8).toString('hex'), seq: 0 }));
    return `${this.node}.${d.token}.${++d.seq}`;
  }
}
