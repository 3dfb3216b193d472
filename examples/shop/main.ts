/**
 * The troupe shop: a small agent pipeline across two worker threads, behind `npm start`.
 *
 *   main ─tell─► orders ──► inventory ──► payment ──► customer
 *                (worker 0)  (worker 1)   (worker 0)   (worker 1)
 *                                           └─ask─► charge-<id>  (a child per charge, worker 0)
 *
 * orders learns the refs of the next stages from a `connect` message (main finds them with
 * system.lookup). Eight orders then go in at once; each carries the customer's ref, and
 * inventory gets the ref of the stage after it inside the message. An order ends confirmed,
 * or rejected: bad quantity, out of stock, or a card that fails validation. That last one
 * fails its charge child, whose message lands in the dead letters with the error as reason.
 * Each order keeps a trail of who handled it on which thread; trails are printed in order id,
 * so the output is the same on every run.
 */
import { threadId } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { createActorSystem } from 'troupe';
import type { Order, Outcome } from './messages.js';

const here = (file: string) => new URL(file, import.meta.url);

// Test card numbers: three pass the Luhn check, one has a wrong check digit, one is too short.
const VISA = '4242 4242 4242 4242';
const ORDERS: Array<Omit<Order, 'trail'>> = [
  { id: 1, customer: 'ada', item: 'lamp', qty: 1, card: VISA },
  { id: 2, customer: 'grace', item: 'chair', qty: 2, card: '4111 1111 1111 1111' },
  { id: 3, customer: 'linus', item: 'chair', qty: 1, card: VISA },
  { id: 4, customer: 'barbara', item: 'desk', qty: 1, card: '4242 4242 4242 4241' },
  { id: 5, customer: 'ken', item: 'lamp', qty: 0, card: VISA },
  { id: 6, customer: 'margaret', item: 'lamp', qty: 2, card: '5555 5555 5555 4444' },
  { id: 7, customer: 'dennis', item: 'desk', qty: 1, card: '4000 0566 5566' },
  { id: 8, customer: 'alan', item: 'desk', qty: 1, card: VISA },
];
const STOCK = { lamp: 3, chair: 2, desk: 3 };

console.log(`troupe shop demo (main is thread ${threadId})`);
// troupe logs each failure (at its severity, with the stack) and each breaker transition. Here
// the failures are the point of the demo and are printed below from the dead letters and the
// supervision events, so its own log shows only what would end the process.
const system = await createActorSystem({ name: 'shop', workers: 2, logger: { level: 'fatal' }, healthWindowMs: 200 });

await system.spawn(here('./inventory.actor.js'), { name: 'inventory', args: { stock: STOCK }, placement: { worker: 1 } });
await system.spawn(here('./payment.actor.js'), { name: 'payment', placement: { worker: 0 } });
const customer = await system.spawn(here('./customer.actor.js'), { name: 'customer', placement: { worker: 1 } });

const orders = await system.spawn(here('./orders.actor.js'), { name: 'orders', placement: { worker: 0 } });
console.log('spawned orders + payment on worker 0, inventory + customer on worker 1');

// Named actors are found by name; refs are plain values that travel inside messages.
const inventory = system.lookup('inventory');
const payment = system.lookup('payment');
if (inventory === undefined || payment === undefined) throw new Error('system.lookup did not find inventory or payment');
orders.tell({ type: 'connect', inventory, payment });
console.log(`stock: ${JSON.stringify(STOCK)}`);

// Dead letters are reported as they happen.
const unsubscribe = system.deadLetters.subscribe((letter) => {
  console.log(`  dead letter (${letter.reason}) for ${letter.target}: ${letter.error?.message ?? 'no error'}`);
});

console.log(`\nplacing ${ORDERS.length} orders at once (tell)`);
for (const order of ORDERS) orders.tell({ type: 'place', order: { ...order, trail: [] }, customer });

// Every order ends at the customer. Wait until the system is quiet (stats are read from shared
// memory, so waiting sends no messages), then ask the customer once.
await quiet(10_000);
const outcomes = await customer.ask<Outcome[]>({ type: 'outcomes' }, { timeoutMs: 2000 });
if (outcomes.length !== ORDERS.length) throw new Error(`only ${outcomes.length} of ${ORDERS.length} orders settled`);

console.log('');
for (const { order, status, reason } of outcomes.sort((a, b) => a.order.id - b.order.id)) {
  console.log(`order #${order.id} ${order.customer}: ${order.qty} x ${order.item} — ${status}${reason ? `: ${reason}` : ''}`);
  for (const s of order.trail) console.log(`    thread ${s.thread}  ${s.actor.padEnd(9)}  ${s.did}`);
}

// Which thread ran whom, as the trails saw it: the pipeline crossed between the two workers.
const ranOn = new Map<number, Set<string>>();
for (const { order } of outcomes) {
  for (const s of order.trail) {
    let names = ranOn.get(s.thread);
    if (names === undefined) ranOn.set(s.thread, (names = new Set()));
    names.add(s.actor.replace(/^charge-\d+$/, 'charge-<id>'));
  }
}
const threads = [...ranOn.keys()].sort((a, b) => a - b);
console.log(`\n${threads.map((t) => `thread ${t} ran ${[...ranOn.get(t)!].join(', ')}`).join('; ')}`);

const stock = await inventory.ask({ type: 'stock' }, { timeoutMs: 1000 });
const total = await payment.ask<{ charges: number; charged: number }>({ type: 'total' }, { timeoutMs: 1000 });
console.log(`stock left: ${JSON.stringify(stock)}; payment charged $${total.charged} in ${total.charges} charges`);

console.log(`dead letters: ${system.deadLetters.count}`);
for (const letter of system.deadLetters.list({ limit: 10 })) {
  console.log(`  - ${letter.reason} at ${letter.target}: ${letter.error?.message ?? 'no error'}`);
}

// The replies above can reach us a moment before their (async) handlers are counted as done.
await quiet(2000);
const stats = await system.stats();
const balanced = stats.sent === stats.processed + stats.deadLettered + stats.queued;
console.log(
  `stats: sent ${stats.sent} = processed ${stats.processed} + dead-lettered ${stats.deadLettered} + queued ${stats.queued}` +
    (balanced ? '  (every message accounted for)' : '  (MISMATCH)'),
);
if (!balanced) process.exitCode = 1;

unsubscribe();
await supervisionDemo();
await workerFaultDemo();

await system.shutdown();
console.log('shut down');

/**
 * Part two: an agent that fails now and then (restarted each time), and a dependency that goes
 * down for a while (its circuit breaker opens, fails fast, probes, and closes), with the
 * supervision events and health as they change.
 */
async function supervisionDemo(): Promise<void> {
  console.log('\nsupervision: a flaky auditor and a bank that goes down for a while');
  const fast = { maxRestarts: 10, maxRetries: 0, backoff: { minMs: 10, maxMs: 10, jitter: 0 } };
  const off = system.events.subscribe((e) => {
    if (e.type === 'failure') console.log(`  event: ${e.actor} failed (${e.category}) -> ${e.directive}`);
    else if (e.type === 'restart') console.log(`  event: ${e.actor} restarts (attempt ${e.attempt}, after ${e.delayMs} ms)`);
    else if (e.type === 'breaker') console.log(`  event: breaker of ${e.actor}: ${e.from} -> ${e.to}`);
  });
  const auditor = await system.spawn(here('./auditor.actor.js'), {
    name: 'auditor', args: { seen: new SharedArrayBuffer(4) }, placement: { worker: 0 }, supervision: fast,
  });
  for (let order = 1; order <= 6; order++) {
    const result = await auditor.ask<string>({ type: 'audit', order }, { timeoutMs: 1000 }).catch((e: Error) => `failed: ${e.message}`);
    console.log(`audit of order ${order}: ${result}`);
  }

  const down = new Int32Array(new SharedArrayBuffer(4));
  const bank = await system.spawn(here('./bank.actor.js'), {
    name: 'bank', args: { down: down.buffer }, placement: { worker: 1 }, supervision: fast,
    circuitBreaker: { failureThreshold: 3, windowMs: 60_000, resetTimeoutMs: 100, halfOpenProbes: 1 },
  });
  const authorize = (amount: number) => bank.ask<string>({ type: 'authorize', amount }, { timeoutMs: 1000 })
    .catch((e: Error) => `${e.name}: ${e.message}`);
  console.log(`bank: ${await authorize(10)}`);
  Atomics.store(down, 0, 1);
  console.log('bank goes down');
  for (const amount of [20, 30, 40]) console.log(`bank: ${await authorize(amount)}`);
  const h = system.health();
  console.log(`health: ${h.status} (${h.reasons.join('; ')})`);
  console.log(`bank: ${await authorize(50)}`);
  Atomics.store(down, 0, 0);
  console.log('bank is back; the breaker lets a probe through after its reset timeout');
  await new Promise<void>((resolve) => {
    const stop = system.events.subscribe((e) => { if (e.type === 'breaker' && e.to === 'half-open') { stop(); resolve(); } });
  });
  console.log(`bank: ${await authorize(60)}`);
  // health() looks back healthWindowMs (200 ms here) for failures and restarts.
  await new Promise((r) => setTimeout(r, 250));
  const after = system.health();
  console.log(`health: ${after.status}; restarts ${after.restarts}, failed ${after.failed}, open breakers ${after.openBreakers}`);
  console.log(`dead letters by reason: ${JSON.stringify(system.deadLetters.counts())}`);
  off();
}

/** Resolves when nothing is queued, running or in flight, seen twice in a row with the same count sent. */
async function quiet(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let settledAt = -1;
  for (;;) {
    const s = await system.stats();
    const settled = s.queued === 0 && s.inFlight === 0;
    if (settled && s.sent === settledAt) return;
    settledAt = settled ? s.sent : -1;
    if (Date.now() > deadline) throw new Error(`the shop was still busy after ${timeoutMs} ms: ${JSON.stringify(s)}`);
    await sleep(20);
  }
}

/**
 * Part three: a worker dies. The reporter runs on a worker of its own with a 32 MB heap; a report
 * too big for it takes the worker down. troupe replaces the worker, restarts the reporter under
 * the same ref, and what was sent to it meanwhile is answered by the new one.
 */
async function workerFaultDemo(): Promise<void> {
  console.log('\nworker fault: a reporter runs out of memory on its own worker');
  const off = system.events.subscribe((e) => {
    if (e.type === 'worker-died') console.log(`  event: worker ${e.worker} died (${e.error.code ?? e.error.message}) while ${e.actor} was handling a message`);
    else if (e.type === 'worker-replaced') console.log(`  event: worker ${e.worker} replaced; restarted ${e.restarted.join(', ')}`);
  });
  const reporter = await system.spawn(here('./reporter.actor.js'), {
    name: 'reporter', placement: 'dedicated', resourceLimits: { maxOldGenerationSizeMb: 32 },
  });
  const report = (orders: number) => reporter.ask<string>({ type: 'report', orders }, { timeoutMs: 10_000 })
    .catch((e: Error) => `${e.name} (${(e as { code?: string }).code}): ${e.message.split(':')[0]}`);
  console.log(`reporter: ${await report(1000)}`);
  const died = new Promise<void>((resolve) => {
    const stop = system.events.subscribe((e) => { if (e.type === 'worker-died') { stop(); resolve(); } });
  });
  const replaced = new Promise<void>((resolve) => {
    const stop = system.events.subscribe((e) => { if (e.type === 'worker-replaced') { stop(); resolve(); } });
  });
  console.log(`reporter: ${await report(10_000_000)}`);
  await died;
  // Sent while the worker is down: these wait in its ring for the restarted reporter.
  const later = [report(10), report(20), report(30)];
  await replaced;
  for (const line of await Promise.all(later)) console.log(`reporter: ${line}`);
  console.log(`same ref after the restart: ${system.lookup('reporter') === reporter}; health: ${system.health().status}`);
  console.log(`dead letters by reason: ${JSON.stringify(system.deadLetters.counts())}`);
  off();
}
