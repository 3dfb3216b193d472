/**
 * The --actor suite's driver: on each command from main, runs one round of a scenario against
 * the user's actor (the command's `target`) from inside its worker, and replies what it
 * measured. It imports the user's module (spawn args: its URL) for benchMessage and benchAsk.
 */

import { defineActor } from 'troupe';
import { benchMessages, type BenchExports, type BenchMessages } from './messages.js';
import { runScenario } from './scenarios.js';
import type { DriverCommand } from './wire.js';

/** Generous: a round is bounded by the runner's own timeout; asks must not time out first. */
const ASK = { timeoutMs: 120_000 };

export default defineActor<BenchMessages, DriverCommand, { module: string }>({
  init: async ({ module }) => benchMessages((await import(module)) as BenchExports),
  async receive(messages, cmd, ctx) {
    // Commands come from main. Mail from an actor is the target answering a tell (its module
    // has no benchAsk, and the actor replies to benchMessage): nothing to do.
    if (ctx.sender !== null) return;
    const { target } = cmd;
    ctx.reply(await runScenario(cmd, messages, {
      tellAll(n, message) {
        for (let i = 0; i < n; i++) ctx.tell(target, message(i));
      },
      ask: (msg) => ctx.ask(target, msg, ASK),
    }));
  },
});
