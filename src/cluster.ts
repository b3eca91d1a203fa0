// `ws-node-server/cluster`: one server in several processes of one machine,
// over node:cluster's built-in IPC channel (docs/scaling.md). The primary
// calls setupClusterPrimary() and forks its workers; each worker passes
// `adapter: createClusterAdapter()` to its WebSocketNodeServer. The primary
// relays by interest: a worker gets a group's broadcasts only while it holds
// a member. No broker to run, no dependency.

import type { Adapter } from './router/adapter.js';
import { RemoteAdapter, type RemoteAdapterOptions } from './scale/adapter.js';
import { CLUSTER_BUS_DEFAULTS, ClusterBus } from './scale/cluster-bus.js';

export { setupClusterPrimary, type ClusterPrimary, type ClusterPrimaryStats } from './scale/cluster-primary.js';
export { REMOTE_DEFAULTS, type RemoteAdapterOptions } from './scale/adapter.js';

export type ClusterAdapterOptions = RemoteAdapterOptions;

/** The adapter of one worker's server (one adapter per server). */
export function createClusterAdapter(options: ClusterAdapterOptions = {}): Adapter {
  // The bus's deadline (default 5 s) comes first: its error says what to fix (setupClusterPrimary() in the primary).
  const bus = new ClusterBus({ startTimeout: options.startTimeout });
  return new RemoteAdapter('cluster', bus, { ...options, startTimeout: (options.startTimeout ?? CLUSTER_BUS_DEFAULTS.startTimeout) + 1000 });
}
