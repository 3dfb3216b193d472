/**
 * payment — charges reserved orders (worker 0). For each charge it spawns a child, `charge-<id>`,
 * on its own worker, and asks it to do the risky part. A child that fails takes only itself
 * down: payment gives the stock back to inventory (the sender of the charge) and tells the
 * customer why. Authorization codes come from a counter, so every run prints the same codes.
 */
import { defineActor } from 'troupe';
import { step, type PaymentMsg, type Receipt } from './messages.js';

export default defineActor({
  init: () => ({ nextCode: 1, charged: 0 }),

  async receive(state, msg: PaymentMsg, ctx) {
    if (msg.type === 'total') {
      ctx.reply({ charges: state.nextCode - 1, charged: state.charged });
      return state;
    }
    const { customer } = msg;
    const inventory = ctx.sender; // who sent this charge: inventory
    const code = `AUTH-${String(state.nextCode).padStart(4, '0')}`;
    const name = `charge-${msg.order.id}`;
    const child = await ctx.spawn(new URL('./charge.actor.js', import.meta.url), { name, args: { code }, restart: 'temporary' });
    const order = step(msg.order, 'payment', `spawned child "${name}", asked it to charge $${msg.order.amount}`);
    try {
      const receipt = await ctx.ask<Receipt>(child, { type: 'charge', order }, { timeoutMs: 2000 });
      state.nextCode += 1;
      state.charged += order.amount ?? 0;
      ctx.tell(customer, { type: 'confirmed', order: step(receipt.order, 'payment', `charged $${order.amount}`) });
    } catch (err) {
      const { name: kind, message } = err as Error;
      ctx.stop(child);
      if (inventory) ctx.tell(inventory, { type: 'release', item: order.item, qty: order.qty });
      const did = `${name} failed (${kind}); told inventory to release ${order.qty} x ${order.item}`;
      ctx.tell(customer, { type: 'rejected', order: step(order, 'payment', did), reason: `payment failed: ${message}` });
    }
    return state;
  },
});
