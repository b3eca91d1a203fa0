// `ws-node-server/adapter`: the pieces under the cluster and Redis adapters,
// for carrying a server over another broker (docs/scaling.md, "Your own
// bus"): implement a Bus (channels, publish, subscribe, down/up) and wrap it
// in a RemoteAdapter, which holds every rule of what crosses nodes.

export { RemoteAdapter, REMOTE_DEFAULTS, type RemoteAdapterOptions } from './scale/adapter.js';
export type { Bus, BusEvents, BusStats } from './scale/bus.js';
export {
  InProcessAdapter,
  type Adapter,
  type AdapterNode,
  type AdapterStats,
  type BroadcastMessage,
  type NodeAnswers,
  type NodeCounts,
  type NodeQuery,
  type QueryAnswers,
  type RemoteClient,
} from './router/adapter.js';
