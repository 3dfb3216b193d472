/**
 * Pings between nodes, over core NATS: every node answers on `<P>.ping.<node>` with its
 * incarnation (this run of it). A ping says whether a node id is in use (at start: a second
 * process with the same id must not split its traffic), whether the node holding an exposed name
 * still runs (names.ts), and whether a node we send to is alive (peers.ts, for health).
 *
 * A ping nobody subscribed to fails at once (the server answers "no responders"): a node that
 * was killed does not make the next start wait.
 */
import { errors, type NatsConnection, type Subscription } from '@nats-io/transport-node';

/** How long a ping waits for an answer by default. */
export const PING_TIMEOUT_MS = 2000;

/** Answers pings on `subject` with `incarnation`, for as long as the connection lasts (nats.js resubscribes after a reconnect). */
export function answerPings(nc: NatsConnection, subject: string, incarnation: number): Subscription {
  const answer = new TextEncoder().encode(JSON.stringify({ incarnation }));
  return nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err === null) msg.respond(answer);
    },
  });
}

/**
 * The incarnation of the node that answers on `subject` within `timeoutMs` (0 if its answer does
 * not say), or null when nobody answers: no one subscribed, or no answer in time. Throws when the
 * question could not be asked (no connection): that says nothing about the other node.
 */
export async function ping(nc: NatsConnection, subject: string, timeoutMs = PING_TIMEOUT_MS): Promise<number | null> {
  let answer;
  try {
    answer = await nc.request(subject, undefined, { timeout: timeoutMs });
  } catch (err) {
    if (nobodyAnswered(err)) return null;
    throw err;
  }
  try {
    const v = answer.json<{ incarnation?: unknown }>();
    return typeof v.incarnation === 'number' ? v.incarnation : 0;
  } catch {
    return 0;
  }
}

function nobodyAnswered(err: unknown): boolean {
  if (err instanceof errors.TimeoutError || err instanceof errors.NoRespondersError) return true;
  const cause = (err as { cause?: unknown } | null)?.cause;
  return err instanceof errors.RequestError && (cause instanceof errors.NoRespondersError || cause instanceof errors.TimeoutError);
}
