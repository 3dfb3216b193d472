/**
 * What the shop's actors say to each other, and the trail every order carries.
 *
 * Each stage appends one `Step` (actor, thread, what it did) to the order it passes on, so
 * the demo can print exactly which actor on which thread handled each order — in the same
 * order on every run, however the two worker threads interleave.
 */
import { threadId } from 'node:worker_threads';
import type { ActorRef } from 'troupe';

export interface Step {
  actor: string;
  thread: number;
  did: string;
}

export interface Order {
  id: number;
  customer: string;
  item: string;
  qty: number;
  card: string;
  /** Set by the orders stage from its price list. */
  amount?: number;
  trail: Step[];
}

/**
 * Returns a copy of `order` with one more step, taken on the calling thread.
 * A copy, not a push: an actor on the same worker receives the very same object
 * (no serialization), so messages are treated as immutable.
 */
export function step(order: Order, actor: string, did: string): Order {
  return { ...order, trail: [...order.trail, { actor, thread: threadId, did }] };
}

/**
 * main -> orders. `connect` hands orders the refs of the next stages; the customer's ref
 * travels with each order to whichever stage settles it.
 */
export type OrdersMsg =
  | { type: 'connect'; inventory: ActorRef; payment: ActorRef }
  | { type: 'place'; order: Order; customer: ActorRef };

/** orders -> inventory (carrying the next stage's ref), payment -> inventory, main -> inventory (ask). */
export type InventoryMsg =
  | { type: 'reserve'; order: Order; payment: ActorRef; customer: ActorRef }
  | { type: 'release'; item: string; qty: number }
  | { type: 'stock' };

/** inventory -> payment, and main -> payment (ask). */
export type PaymentMsg = { type: 'charge'; order: Order; customer: ActorRef } | { type: 'total' };

/** payment -> its child charge-<id> (ask), answered with a receipt. */
export type ChargeMsg = { type: 'charge'; order: Order };
export interface Receipt {
  code: string;
  order: Order;
}

/** any stage -> customer, and main -> customer (ask). */
export type CustomerMsg =
  | { type: 'confirmed'; order: Order }
  | { type: 'rejected'; order: Order; reason: string }
  | { type: 'outcomes' };
export interface Outcome {
  status: 'confirmed' | 'rejected';
  reason?: string;
  order: Order;
}
