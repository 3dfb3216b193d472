// main.ts
import { createActorSystem } from 'troupe';

const system = await createActorSystem({ name: 'demo', workers: 2 });
const counter = await system.spawn(new URL('./counter.actor.js', import.meta.url), {
  name: 'counter',
  args: { start: 0 },
});

counter.tell({ type: 'inc', by: 1 });                                 // fire and forget
console.log(await counter.ask({ type: 'get' }, { timeoutMs: 1000 })); // 1
await system.shutdown();
