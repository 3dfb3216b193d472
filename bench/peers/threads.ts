/**
 * Threads without actors, main side: raw postMessage on a MessageChannel, a piscina pool, and a
 * ringbuf.js SAB ring. They run the benchmarks that map onto a pair of threads or a task pool
 * without writing an actor runtime; the others get a row saying why.
 */

import os from 'node:os';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { installedVersion, notInstalled } from '../lib/optional.js';
import type { Peer } from '../savina/peers.js';
import { assertAnswer, type CheckedName } from '../savina/answers.js';
import type { SavinaParams } from '../savina/params.js';
import type { Timed } from '../savina/troupe.js';
import type { ThreadDone, ThreadRole, ThreadRun } from './thread-wire.js';

const WORKER = new URL('./thread.worker.js', import.meta.url);
const TASK = new URL('./piscina-task.js', import.meta.url);

const NO_ACTORS =
  'no actors here: this benchmark needs many independent actors with mailboxes (or a spawn per call), ' +
  'which raw threads do not have — writing them is writing an actor runtime';

function startWorker(data: ThreadRole, transfer: MessagePort[], onDeath: (e: Error) => void): Worker {
  const w = new Worker(WORKER, { workerData: data, transferList: transfer });
  // Without an 'error' listener a dying worker would take the bench process down.
  w.on('error', onDeath);
  return w;
}

/** Two workers; the first drives runs over `control`. */
async function pair(first: (control: MessagePort) => { data: ThreadRole; transfer: MessagePort[] }, second: { data: ThreadRole; transfer: MessagePort[] }) {
  const control = new MessageChannel();
  let death: Error | undefined;
  const onDeath = (e: Error) => {
    death ??= e;
  };
  const a = first(control.port2);
  const workers = [startWorker(a.data, [control.port2, ...a.transfer], onDeath), startWorker(second.data, second.transfer, onDeath)];
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('online', resolve))));
  return {
    async run(n: number): Promise<ThreadDone> {
      if (death !== undefined) throw death;
      const done = new Promise<ThreadDone>((resolve) => control.port1.once('message', resolve));
      control.port1.postMessage({ n } satisfies ThreadRun);
      return done;
    },
    async close() {
      control.port1.close();
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

type Pair = Awaited<ReturnType<typeof pair>>;

function pairPeer(id: string, label: string, version: string, skip: Peer['skip'], launch: Partial<Record<CheckedName, () => Promise<Pair>>>): Peer {
  return {
    id,
    label,
    version,
    skip,
    async prepare(name, params) {
      const p = await launch[name]!();
      const n = (params as { n: number }).n;
      return {
        variant: {
          id,
          async round(): Promise<Timed> {
            const r = await p.run(n);
            assertAnswer(name, params, { answer: r.answer });
            return { ms: r.elapsedNs / 1e6 };
          },
        },
        close: () => p.close(),
      };
    },
  };
}

const pmPingPong = () => {
  const link = new MessageChannel();
  return pair(
    (control) => ({ data: { role: 'pm-ping', control, peer: link.port1 }, transfer: [link.port1] }),
    { data: { role: 'pm-pong', peer: link.port2 }, transfer: [link.port2] },
  );
};

const pmCounting = () => {
  const link = new MessageChannel();
  return pair(
    (control) => ({ data: { role: 'pm-producer', control, peer: link.port1 }, transfer: [link.port1] }),
    { data: { role: 'pm-counter', peer: link.port2 }, transfer: [link.port2] },
  );
};

// ringbuf.js is imported only by its own rows: the others run where it is not installed.
const rbPingPong = async () => {
  const { RingBuffer } = await import('ringbuf.js');
  const out = RingBuffer.getStorageForCapacity(64, Int32Array);
  const back = RingBuffer.getStorageForCapacity(64, Int32Array);
  const link = new MessageChannel();
  return pair(
    (control) => ({ data: { role: 'rb-ping', control, out, back, peer: link.port1 }, transfer: [link.port1] }),
    { data: { role: 'rb-pong', out, back, peer: link.port2 }, transfer: [link.port2] },
  );
};

const rbCounting = async () => {
  const { RingBuffer } = await import('ringbuf.js');
  const out = RingBuffer.getStorageForCapacity(1 << 16, Int32Array);
  const link = new MessageChannel();
  return pair(
    (control) => ({ data: { role: 'rb-producer', control, out, peer: link.port1 }, transfer: [link.port1] }),
    { data: { role: 'rb-counter', out, peer: link.port2 }, transfer: [link.port2] },
  );
};

const skipAllBut = (keep: CheckedName[], why: string, extra: Peer['skip'] = {}): Peer['skip'] => {
  const all: CheckedName[] = ['pingpong', 'counting', 'fjthrput', 'fjcreate', 'threadring', 'chameneos', 'big', 'fib', 'skynet'];
  return Object.fromEntries(all.filter((n) => !keep.includes(n)).map((n) => [n, extra[n] ?? why]));
};

const postMessagePeer = pairPeer('postmessage', 'postMessage (2 threads)', `Node ${process.version}`, skipAllBut(['pingpong', 'counting'], NO_ACTORS), {
  pingpong: pmPingPong,
  counting: pmCounting,
});

const ringbufVersion = installedVersion('ringbuf.js');
const ringbufPeer = pairPeer('ringbuf', 'ringbuf.js SAB ring (2 threads, spinning)', ringbufVersion ?? 'not installed',
  ringbufVersion === null ? skipAllBut([], notInstalled('ringbuf.js')) : skipAllBut(['pingpong', 'counting'], NO_ACTORS), {
  pingpong: rbPingPong,
  counting: rbCounting,
});

const piscinaPeer: Peer = {
  id: 'piscina',
  label: `piscina (${os.availableParallelism()} threads, a task per message)`,
  version: 'piscina@5.3.2',
  skip: skipAllBut(['pingpong', 'fjcreate'], NO_ACTORS, {
    counting: 'a pool task keeps no state between tasks (each may run on another thread): there is no counter to count into',
    fjthrput:
      'each of the 600 000 messages would be a pool task; performance-anchors §7 measured ≈27 k piscina tasks/s here ' +
      '(1 in flight) and 21–24 k/s (64 in flight): > 20 s per round. Fork-Join creation (a task per actor) is its row.',
  }),
  async prepare(name, params) {
    const pool = new Piscina({ filename: TASK.href, minThreads: os.availableParallelism(), maxThreads: os.availableParallelism(), idleTimeout: Infinity, atomics: 'disabled' });
    pool.on('error', () => {});
    await Promise.all(Array.from({ length: os.availableParallelism() * 2 }, () => pool.run('ping')));
    const round = async (): Promise<Timed> => {
      const t0 = process.hrtime.bigint();
      let answer = 0;
      if (name === 'pingpong') {
        const n = (params as SavinaParams['pingpong']).n;
        for (let i = 0; i < n; i++) answer += (await pool.run('ping')) as number;
      } else {
        const n = (params as SavinaParams['fjcreate']).n;
        const all = await Promise.all(Array.from({ length: n }, () => pool.run('fj') as Promise<number>));
        for (const v of all) answer += v;
      }
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      assertAnswer(name, params, { answer });
      return { ms };
    };
    return { variant: { id: 'piscina', round }, close: () => pool.destroy() };
  },
};

export const THREAD_PEERS: Peer[] = [postMessagePeer, piscinaPeer, ringbufPeer];
