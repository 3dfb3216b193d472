/**
 * The peers troupe is compared with, and which Savina benchmarks each can run. A peer that
 * cannot run a benchmark says why (the row shows it); `--peers` picks a subset by id.
 */

import type { Variant } from '../lib/rounds.js';
import { comedyLib } from '../peers/comedy.js';
import { ERLANG_PEER } from '../peers/erlang.js';
import { nactLib } from '../peers/nact.js';
import { runPortable, type ActorLib } from '../peers/portable.js';
import { THREAD_PEERS } from '../peers/threads.js';
import { xstateLib } from '../peers/xstate.js';
import { assertAnswer, type CheckedName } from './answers.js';
import type { SavinaParams } from './params.js';
import type { Timed } from './troupe.js';

export interface Peer {
  id: string;
  label: string;
  /** Version as installed (package.json of the dependency), or the Node version for built-ins. */
  version: string;
  /** Benchmarks this peer does not run, and why. */
  skip: Partial<Record<CheckedName, string>>;
  /** A variant for one benchmark (its setup, e.g. starting threads, is not timed); close() ends it. */
  prepare<K extends CheckedName>(name: K, params: SavinaParams[K]): Promise<{ variant: Variant<Timed>; close(): Promise<void> }>;
}

/** An in-process actor library: a fresh system per round (not timed), the benchmark's actors created inside the timing. */
function inProcess(id: string, label: string, pkg: string, make: () => ActorLib | Promise<ActorLib>, skip: Peer['skip'] = {}): Peer {
  return {
    id,
    label,
    version: pkg,
    skip,
    async prepare(name, params) {
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
  inProcess('nact', 'nact', 'nact@7.6.2', nactLib),
  inProcess('xstate', 'xstate', 'xstate@5.33.3', xstateLib),
  inProcess('comedy', 'comedy (in-memory)', 'comedy@2.1.7', comedyLib, {
    skynet:
      'comedy\'s createChild took 356 ms for 10 000 in-memory actors in our probe (≈36 µs each): 1 111 111 actors would take ' +
      'well over the 120 s round limit, and each actor adds a listener to one shared logger config.',
  }),
  ...THREAD_PEERS,
  ERLANG_PEER,
];

export const PEER_IDS = PEERS.map((p) => p.id);
