// `ws-node-server/cluster`: one server in several processes of one machine,
// over node:cluster's built-in IPC channel (docs/scaling.md). The primary
// calls setupClusterPrimary() and forks its workers; each worker passes
// `adapter: createClusterAdapter()` to its WebSocketNodeServer. The primary
// relays by interest: a worker gets a group's broadcasts only while it holds
// a member. No broker to run, no dependency.

import type { Adapter } from './router/adapter.js';
import { RemoteAdapter, type RemoteAdapterOptions } from './scale/adapter.js';
import { ClusterBus, type ClusterBusOptions } from './scale/cluster-bus.js';

export { setupClusterPrimary, type ClusterPrimary, type ClusterPrimaryStats } from './scale/cluster-primary.js';
export { REMOTE_DEFAULTS, type RemoteAdapterOptions } from './scale/adapter.js';
export type { ClusterBusOptions } from './scale/cluster-bus.js';

export type ClusterAdapterOptions = RemoteAdapterOptions & ClusterBusOptions;

/** The adapter of one worker's server (one adapter per server). */
export function createClusterAdapter(options: ClusterAdapterOptions = {}): Adapter {
  const { startTimeout, ...timing } = options;
  return new RemoteAdapter('cluster', new ClusterBus({ startTimeout }), timing);
}
