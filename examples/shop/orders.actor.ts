/**
 * orders — the pipeline's entry (worker 0). Learns the next stages' refs from a `connect`
 * message, then prices each order and passes it to inventory, together with the ref of the
 * stage after that (payment) and of the customer.
 */
import { defineActor } from 'troupe';
import type { ActorRef } from 'troupe';
import { step, type OrdersMsg } from './messages.js';

const PRICES: Record<string, number> = { lamp: 40, chair: 120, desk: 300 };

export default defineActor({
  init: () => ({ inventory: null as ActorRef | null, payment: null as ActorRef | null }),

  receive(state, msg: OrdersMsg, ctx) {
    if (msg.type === 'connect') {
      state.inventory = msg.inventory;
      state.payment = msg.payment;
      return state;
    }
    const { order, customer } = msg;
    const price = PRICES[order.item];
    const problem =
      price === undefined ? `unknown item "${order.item}"` : order.qty < 1 ? 'quantity must be at least 1' : null;
    if (state.inventory === null || state.payment === null) throw new Error('orders got an order before connect');
    if (problem !== null || price === undefined) {
      ctx.tell(customer, { type: 'rejected', order: step(order, 'orders', `refused: ${problem}`), reason: problem });
      return state;
    }
    const priced = { ...order, amount: price * order.qty };
    const next = step(priced, 'orders', `priced at $${priced.amount}, asked inventory to reserve`);
    ctx.tell(state.inventory, { type: 'reserve', order: next, payment: state.payment, customer });
    return state;
  },
});
