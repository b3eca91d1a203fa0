// Cluster-wide questions: this node's answer plus the other nodes', asked
// through the adapter with a deadline. A node that does not answer in time
// (down, slow, partitioned) is named in `missing` and the result is marked
// partial: a query never waits longer than its timeout, whatever a node does.

import type { Adapter, AdapterNode, NodeAnswers, NodeQuery } from './adapter.js';
import type { PublicClient } from './wire.js';

/** Default deadline of a cluster-wide query, in ms. */
export const QUERY_TIMEOUT = 2000;

export interface QueryOptions {
  /** How long to wait for the other nodes, in ms (default 2000). */
  timeout?: number;
}

/** What every cluster-wide answer says about its completeness. */
export interface ClusterAnswer {
  /** Nodes that answered, this one included. */
  nodes: number;
  /** Nodes known to be alive that did not answer in time: the numbers leave them out. */
  missing: string[];
  /** True when `missing` is not empty. */
  partial: boolean;
}

export interface ClusterStats extends ClusterAnswer {
  connections: number;
  sessions: number;
  groups: number;
  /** Each node's counts, this node's first. */
  byNode: Array<{ node: string; connections: number; sessions: number; groups: number }>;
}

export interface ClusterGroupSize extends ClusterAnswer {
  size: number;
}

export interface ClusterSessions extends ClusterAnswer {
  /** The public view of every session, with the node that holds it. */
  sessions: Array<PublicClient & { node: string }>;
}

function timeoutOf(options: QueryOptions | undefined): number {
  const t = options?.timeout ?? QUERY_TIMEOUT;
  if (!Number.isFinite(t) || t < 0) throw new RangeError('timeout must be a non-negative number of ms');
  return t;
}

async function ask<Q extends NodeQuery>(
  adapter: Adapter,
  node: AdapterNode,
  query: Q,
  options: QueryOptions | undefined,
): Promise<{ all: Array<{ node: string; value: NodeAnswers[Q['kind']] }>; answer: ClusterAnswer }> {
  const timeout = timeoutOf(options);
  const own = { node: adapter.stats.node, value: node.answer(query) };
  const remote = adapter.shared ? await adapter.query(query, timeout) : { answers: [], missing: [] };
  const all = [own, ...remote.answers];
  return { all, answer: { nodes: all.length, missing: remote.missing, partial: remote.missing.length > 0 } };
}

export async function clusterStats(adapter: Adapter, node: AdapterNode, options?: QueryOptions): Promise<ClusterStats> {
  const { all, answer } = await ask(adapter, node, { kind: 'counts' }, options);
  const byNode = all.map(({ node: id, value }) => ({ node: id, ...value }));
  const sum = (key: 'connections' | 'sessions' | 'groups'): number => byNode.reduce((n, c) => n + c[key], 0);
  return { ...answer, connections: sum('connections'), sessions: sum('sessions'), groups: sum('groups'), byNode };
}

export async function clusterGroupSize(adapter: Adapter, node: AdapterNode, group: string, options?: QueryOptions): Promise<ClusterGroupSize> {
  const { all, answer } = await ask(adapter, node, { kind: 'groupSize', group }, options);
  return { ...answer, size: all.reduce((n, a) => n + a.value, 0) };
}

export async function clusterSessions(adapter: Adapter, node: AdapterNode, options?: QueryOptions): Promise<ClusterSessions> {
  const { all, answer } = await ask(adapter, node, { kind: 'sessions' }, options);
  const sessions = all.flatMap(({ node: id, value }) => value.map((client) => ({ ...client, node: id })));
  return { ...answer, sessions };
}
