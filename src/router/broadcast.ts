// Server and handler broadcasts (`server.broadcast`, `session.broadcast`):
// to every session or to one group's members, here and, with a remote
// adapter, on the other nodes. Rendered once per wire protocol in use; with
// session recovery, recorded once in its stream (./retention.ts), and the
// text with its position is what every v1 recipient here receives.

import type { Adapter } from './adapter.js';
import type { Codec } from './commands.js';
import { fanOut, type OutboundGate } from './fanout.js';
import type { Registry } from './registry.js';
import { ALL_STREAM, groupStream, type Recovery } from './retention.js';

/** What a broadcast needs from the router. */
export interface BroadcastHost extends OutboundGate {
  readonly registry: Pick<Registry, 'byId' | 'members'>;
  readonly adapter: Pick<Adapter, 'shared' | 'broadcast' | 'recordBroadcast'>;
  readonly recovery: Recovery | null;
  readonly v1: Codec;
}

/**
 * Returns how many of this node's clients it was written to. `exceptId`: the
 * session left out, also when it has no connection now (a retained one).
 */
export function broadcastEvent(host: BroadcastHost, event: string, group: string | null, data: unknown, exceptId: string | null): number {
  const except = exceptId === null ? null : (host.registry.byId.get(exceptId) ?? null);
  const recipients = group === null ? host.registry.byId.values() : host.registry.members(group);
  const recovery = host.recovery;
  // One process, no recovery: each protocol's text is rendered only if a recipient speaks it.
  if (!host.adapter.shared && recovery === null) return fanOut(host, recipients, (codec) => codec.event(event, group, data, null), except);
  // Rendered once for this node's v1 clients and for every other node.
  const text = host.v1.event(event, group, data, null);
  if (recordShared(host, group, text, exceptId) !== null) {
    // Delivered here too when the store publishes it: counted as addressed.
    const addressed = group === null ? host.registry.byId.size : host.registry.members(group).size;
    return except !== null && (group === null || except.session!.inGroup(group)) ? addressed - 1 : addressed;
  }
  // Recorded once with its position; every v1 recipient gets those bytes.
  const local = recovery === null ? text : recovery.appendBroadcast(group, text, exceptId);
  const v1 = host.v1;
  const written = fanOut(host, recipients, (codec) => (codec === v1 ? local : codec.event(event, group, data, null)), except);
  // Other nodes get the text without this node's position: they record it in their own streams.
  if (host.adapter.shared) host.adapter.broadcast({ group, except: exceptId, text });
  return written;
}

/**
 * With session recovery over a shared store (the Redis adapter), a
 * broadcast is numbered and published by the store in one step, and every
 * node, this one included, delivers it as it comes back, so its position is
 * the same everywhere. Resolves false when the store could not take it
 * (then no node delivers it, and the recovery stats count it). Null: no
 * shared store, deliver as usual.
 */
export function recordShared(host: Pick<BroadcastHost, 'adapter' | 'recovery'>, group: string | null, text: string, except: string | null): Promise<boolean> | null {
  const recovery = host.recovery;
  if (recovery === null || recovery.shared === null || host.adapter.recordBroadcast === undefined) return null;
  return host.adapter.recordBroadcast({ group, except, text }, group === null ? ALL_STREAM : groupStream(group)).then((done) => {
    if (!done) recovery.counters.unrecorded++;
    return done;
  });
}
