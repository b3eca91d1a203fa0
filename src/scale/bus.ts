// The transport under a remote adapter: named channels with publish and
// subscribe, and nothing else. The adapter (./adapter.ts) owns every rule of
// what crosses nodes and in what format; a bus only carries strings between
// the processes of one deployment. Two buses ship: node:cluster's IPC
// channel relayed by the primary (./cluster-bus.ts) and Redis pub/sub over
// clients the application owns (./redis-bus.ts). Types only.

/** What a bus tells its adapter. */
export interface BusEvents {
  /** A message published on a channel this node subscribes to (by any node, this one included). */
  message(channel: string, payload: string): void;
  /** The broker is unreachable: publishes fail and nothing arrives until up(). */
  down(error: Error): void;
  /** The broker is reachable again and the bus's subscriptions are in place again. */
  up(): void;
  /**
   * A node left for sure (its process exited), when the bus can know it;
   * the adapter then forgets that node's clients at once instead of waiting
   * for its heartbeats to expire.
   */
  nodeGone?(nodeId: string): void;
}

/** Counters a bus keeps (part of the adapter's stats). */
export interface BusStats {
  /** Messages handed to the broker. */
  published: number;
  /** Messages received on subscribed channels. */
  received: number;
  /** Publishes the broker refused or that failed while it was down. */
  publishFailures: number;
  /** Channels subscribed now. */
  channels: number;
}

export interface Bus {
  /**
   * Connects the bus for node `nodeId` and resolves once it can publish and
   * subscribe. Called once.
   */
  start(nodeId: string, events: BusEvents): Promise<void>;
  /** Publishes once; never throws (a failure is counted, and reported as down() when the broker is lost). */
  publish(channel: string, payload: string): void;
  /** Starts receiving a channel's messages. Idempotent. */
  subscribe(channel: string): void;
  /** Stops receiving a channel's messages. Idempotent. */
  unsubscribe(channel: string): void;
  /** True while the broker is reachable. */
  readonly connected: boolean;
  readonly stats: BusStats;
  /** The broker's name of a channel (a prefix added), for a store that publishes on the bus's channels itself. */
  channelName?(channel: string): string;
  /**
   * Resolves once the bus receives the channel's messages (subscribe() was
   * called and the broker confirmed it); at once when it already does.
   */
  whenSubscribed?(channel: string): Promise<void>;
  /** Stops: unsubscribes everything, leaves the application's clients connected (they are the application's). */
  close(): Promise<void>;
}
