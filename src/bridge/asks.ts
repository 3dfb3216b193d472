/**
 * This node's asks of actors on other nodes, on their way back: which node each went to (only
 * that node may answer it), and handing the answer to the asking thread, main's ask table or a
 * host's (over its ring: K_REPLY or K_REPLY_ERROR to ASK_TABLE). A reply from a node that was not
 * asked is dead-lettered `unexpected-reply`; one for an ask of this node's earlier run, whose
 * numbers this run may use again, `late-reply`. An ask whose message could not leave is rejected
 * here at once (`fail`).
 */
import { toWireError, type WireError } from '../actors/errors.js';
import { ASK_TABLE, K_REPLY, K_REPLY_ERROR, MAIN_THREAD } from '../runtime/constants.js';
import type { NodeHost } from '../runtime/node-port.js';
import { bounded } from './bounded.js';
import { W_REPLY, type Envelope } from './envelope.js';
import { describe } from './incoming.js';

/** Why a reply from the wire goes no further. */
export type Unanswerable = 'unexpected-reply' | 'late-reply';

export class Asks {
  /** Asks sent to other nodes (`<thread>:<corr>` → node), oldest first (bounded). */
  private readonly asking = new Map<string, string>();

  constructor(
    private readonly host: Pick<NodeHost, 'ledger' | 'encode' | 'decode' | 'settleAsk' | 'hostExists' | 'post' | 'deadLetter'>,
    private readonly incarnation: number,
  ) {}

  /** Ask `corr` of local thread `thread` went to `node`. */
  sent(thread: number, corr: number, node: string): void {
    bounded(this.asking, `${thread}:${corr}`, node);
  }

  /**
   * A reply (W_REPLY or W_REPLY_ERROR) from node `from`: handed to its asker (null), or why it
   * cannot be, for the caller to dead-letter.
   */
  answer(from: string, env: Envelope): Unanswerable | null {
    const asked = `${env.t[0]}:${env.t[1]}`;
    if (this.asking.get(asked) !== from) return 'unexpected-reply';
    // For an ask of this node's earlier run (whose numbers this run may use again).
    if (env.ti !== this.incarnation) return 'late-reply';
    this.asking.delete(asked);
    this.settle(env.t[0], env.t[1], env.k === W_REPLY ? K_REPLY : K_REPLY_ERROR, env.m);
    return null;
  }

  /** Rejects ask `corr` of local thread `thread` with `error` (its message did not leave). */
  fail(thread: number, corr: number, error: WireError): void {
    // A copy: the codec's view is reused.
    this.settle(thread, corr, K_REPLY_ERROR, new Uint8Array(this.host.encode(error)));
  }

  /** Settles ask `corr` of local thread `thread` with a reply as its node encoded it. */
  private settle(thread: number, corr: number, kind: number, bytes: Uint8Array): void {
    const host = this.host;
    host.ledger.sent();
    if (thread === MAIN_THREAD) {
      let value: unknown;
      try {
        value = host.decode(bytes);
      } catch (err) {
        kind = K_REPLY_ERROR;
        value = toWireError(err);
      }
      host.settleAsk(corr, kind, value);
      return;
    }
    if (!host.hostExists(thread)) {
      host.deadLetter({ reason: 'no-such-actor', target: `@${thread}.ask #${corr}`, sender: null, message: describe(bytes, (b) => host.decode(b)), time: Date.now() });
      return;
    }
    host.post(thread, ASK_TABLE, 0, corr, kind, bytes);
  }
}
