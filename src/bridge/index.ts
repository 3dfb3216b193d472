/**
 * The NATS bridge as the runtime loads it: dynamically, only for a system given NATS (`nats`, or
 * TROUPE_NATS_URL), so that a local system loads no NATS client. It gives the configuration
 * check and the NodeBridge (runtime/node-port.ts), nothing else.
 */
import type { NodeBridge, NodeHost } from '../runtime/node-port.js';
import type { BridgeConfig } from './config.js';
import { Remote } from './remote.js';

export { bridgeConfig } from './config.js';
export type { BridgeConfig } from './config.js';

/** This node's bridge: `host` is what it may do on this node. */
export function createNodeBridge(config: BridgeConfig, host: NodeHost): NodeBridge {
  return new Remote(config, host);
}
