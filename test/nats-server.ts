// A real nats-server for one test file (bench/lib/nats-server.ts: a free loopback port, a temp
// store dir, stopped by PID). With CI=true a missing nats-server fails the tests; locally they
// are skipped with one loud line.
import { natsServerBinary } from '../bench/lib/nats-server.js';

export { NatsServer, natsServerBinary, type ServerOptions } from '../bench/lib/nats-server.js';

/** Whether NATS tests can run here; throws under CI=true when they cannot. */
export function natsAvailable(): boolean {
  if (natsServerBinary() !== null) return true;
  if (process.env.CI === 'true') throw new Error('nats-server is not installed, and CI=true requires the NATS tests: apt-get install nats-server');
  console.warn('\n*** SKIPPING NATS TESTS: nats-server is not installed. Install it with: sudo apt-get install nats-server ***\n');
  return false;
}
