/**
 * inventory — reserves stock (worker 1). Forwards a reserved order to the next stage, whose
 * ref came inside the message; tells the customer when the item is out of stock; puts stock
 * back when payment releases it.
 */
import { defineActor } from 'troupe';
import { step, type InventoryMsg } from './messages.js';

export default defineActor({
  init: (args: { stock: Record<string, number> }) => ({ stock: { ...args.stock } }),

  receive(state, msg: InventoryMsg, ctx) {
    if (msg.type === 'stock') {
      ctx.reply({ ...state.stock });
      return state;
    }
    if (msg.type === 'release') {
      state.stock[msg.item] = (state.stock[msg.item] ?? 0) + msg.qty;
      return state;
    }
    const { order, payment, customer } = msg;
    const left = state.stock[order.item] ?? 0;
    if (left < order.qty) {
      const reason = `out of stock (${left} ${order.item} left)`;
      ctx.tell(customer, { type: 'rejected', order: step(order, 'inventory', reason), reason });
      return state;
    }
    state.stock[order.item] = left - order.qty;
    const did = `reserved ${order.qty} x ${order.item}, sent to payment`;
    ctx.tell(payment, { type: 'charge', order: step(order, 'inventory', did), customer });
    return state;
  },
});
