/**
 * The peers troupe is compared with, and which Savina benchmarks each can run. A peer that
 * cannot run a benchmark says why (the row shows it); `--peers` picks a subset by id.
 */

import { installedVersion, notInstalled } from '../lib/optional.js';
import type { Variant } from '../lib/rounds.js';
import { ERLANG_PEER } from '../peers/erlang.js';
import { runPortable, type ActorLib } from '../peers/portable.js';
import { THREAD_PEERS } from '../peers/threads.js';
import { assertAnswer, EXPECTED, type CheckedName } from './answers.js';
import type { SavinaParams } from './params.js';
import type { Timed } from './troupe.js';

export interface Peer {
  id: string;
  label: string;
  /** Version as installed (package.json of the dependency), the Node version for built-ins, or 'not installed'. */
  version: string;
  /** Benchmarks this peer does not run, and why. */
  skip: Partial<Record<CheckedName, string>>;
  /** A variant for one benchmark (its setup, e.g. starting threads, is not timed); close() ends it. */
  prepare<K extends CheckedName>(name: K, params: SavinaParams[K]): Promise<{ variant: Variant<Timed>; close(): Promise<void> }>;
}

/** Every benchmark, skipped for one reason. */
function skipAll(why: string): Peer['skip'] {
  return Object.fromEntries(Object.keys(EXPECTED).map((k) => [k, why]));
}

/**
 * An in-process actor library (`id` is its npm name): a fresh system per round (not timed), the
 * benchmark's actors created inside the timing. Its adapter (which imports the library) loads on
 * first use, so a library that is not installed skips this peer, with a line saying how to add it.
 */
function inProcess(id: string, label: string, load: () => Promise<() => ActorLib | Promise<ActorLib>>, skip: Peer['skip'] = {}): Peer {
  const version = installedVersion(id);
  return {
    id,
    label,
    version: version ?? 'not installed',
    skip: version === null ? skipAll(notInstalled(id)) : skip,
    async prepare(name, params) {
      const make = await load();
      return {
        variant: {
          id,
          async round() {
            const lib = await make();
            try {
              const t0 = process.hrtime.bigint();
              const result = await runPortable(lib, name, params);
              const ms = Number(process.hrtime.bigint() - t0) / 1e6;
              assertAnswer(name, params, result);
              return { ms };
            } finally {
              await lib.close();
            }
          },
        },
        close: async () => {},
      };
    },
  };
}

export const PEERS: Peer[] = [
  inProcess('nact', 'nact', async () => (await import('../peers/nact.js')).nactLib),
  inProcess('xstate', 'xstate', async () => (await import('../peers/xstate.js')).xstateLib),
  inProcess('comedy', 'comedy (in-memory)', async () => (await import('../peers/comedy.js')).comedyLib, {
    skynet:
      'comedy\'s createChild took 356 ms for 10 000 in-memory actors in our probe (≈36 µs each): 1 111 111 actors would take ' +
      'well over the 120 s round limit, and each actor adds a listener to one shared logger config.',
  }),
  ...THREAD_PEERS,
  ERLANG_PEER,
];

export const PEER_IDS = PEERS.map((p) => p.id);
