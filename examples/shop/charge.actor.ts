/**
 * charge — a short-lived child of payment, one per charge, on payment's worker. It validates
 * the card, authorizes the amount, replies with the receipt and stops itself.
 *
 * A card that fails validation makes `receive` throw. A validation error is a poison message:
 * its supervisor (payment) resumes the child past it, dead-letters the message with the error
 * (reason `actor-failed`) and rejects payment's ask with the same error; payment then stops the
 * child and tells the customer. It is spawned `restart: 'temporary'`: one charge, never restarted.
 */
import { defineActor } from 'troupe';
import { step, type ChargeMsg, type Receipt } from './messages.js';

/** A bad card number: no retry can make this message succeed. */
export class CardValidationError extends Error {
  override name = 'CardValidationError';
  readonly category = 'validation';
}

/** Throws unless `card` has 16 digits and passes the Luhn checksum. */
function validateCard(card: string): void {
  const digits = card.replace(/ /g, '');
  if (!/^\d{16}$/.test(digits)) throw new CardValidationError(`card "${card}" must have 16 digits`);
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  if (sum % 10 !== 0) throw new CardValidationError(`card "${card}" fails its checksum`);
}

export default defineActor({
  init: (args: { code: string }) => args,

  receive(state, msg: ChargeMsg, ctx) {
    validateCard(msg.order.card);
    const receipt: Receipt = {
      code: state.code,
      order: step(msg.order, ctx.name ?? 'charge', `card ok, authorized $${msg.order.amount}: ${state.code}`),
    };
    ctx.reply(receipt);
    ctx.stop(); // one charge per child: it stops after this message
  },
});
