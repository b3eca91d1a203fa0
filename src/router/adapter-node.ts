// The router's side of its adapter (the AdapterNode): what another node's
// traffic does here. A broadcast from elsewhere arrives as the text our
// protocol sends, so this node's v1 recipients get those very bytes and only
// legacy recipients need it rendered again; a private message goes to the
// one session it names; a presence change goes to the available clients.

import type { AdapterNode, BroadcastMessage, NodeAnswers, NodeQuery } from './adapter.js';
import type { Codec } from './commands.js';
import { fanOut, writeText, type OutboundGate } from './fanout.js';
import type { Peer, Registry } from './registry.js';
import type { Recovery } from './retention.js';
import type { PublicClient } from './wire.js';

/** What the adapter's node needs from the router. */
export interface NodeHost extends OutboundGate {
  readonly registry: Registry;
  readonly peers: ReadonlyMap<unknown, Peer>;
  readonly v1: Codec;
  readonly recovery: Recovery | null;
  connectivity(error: Error | null): void;
}

interface RenderedEvent {
  event: string;
  group: string | null;
  data: unknown;
}

export class AdapterNodeBridge implements AdapterNode {
  readonly #host: NodeHost;

  constructor(host: NodeHost) {
    this.#host = host;
  }

  deliverBroadcast(message: BroadcastMessage): number {
    const { registry, v1 } = this.#host;
    const recipients = message.group === null ? registry.byId.values() : registry.members(message.group);
    const except = message.except === null ? null : (registry.byId.get(message.except) ?? null);
    let parsed: RenderedEvent | null = null;
    const recovery = this.#host.recovery;
    let text = message.text;
    if (message.recorded !== undefined) {
      // Numbered by the shared store: the same bytes on every node (this one's own broadcasts come back this way too).
      recovery?.observe({ stream: message.recorded.stream, offset: message.recorded.offset, text, except: message.except });
    } else if (recovery !== null) {
      // With recovery, recorded in this node's own stream: its position is this node's, rendered once here.
      text = recovery.appendBroadcast(message.group, message.text, message.except);
    }
    const render = (codec: Codec): string => {
      if (codec === v1) return text;
      // Only a legacy recipient needs the fields back; parsed once for all of them.
      parsed ??= JSON.parse(message.text) as RenderedEvent;
      return codec.event(parsed.event, parsed.group, parsed.data, null);
    };
    return fanOut(this.#host, recipients, render, except);
  }

  deliverPrivate(to: string, from: PublicClient, data: unknown): boolean {
    const peer = this.#host.registry.byId.get(to);
    if (peer === undefined || !peer.session!.visible) return false;
    const recovery = this.#host.recovery;
    if (recovery !== null && recovery.tracks(to)) {
      const text = recovery.push(to, this.#host.v1.privateMessage(from, data));
      return text === null || writeText(this.#host, peer, text);
    }
    return writeText(this.#host, peer, peer.codec.privateMessage(from, data));
  }

  sessionMoved(id: string): void {
    this.#host.recovery?.moved(id);
  }

  deliverPresence(client: PublicClient): number {
    return fanOut(this.#host, this.#host.registry.available, (codec) => codec.presence(client));
  }

  clients(): PublicClient[] {
    const list: PublicClient[] = [];
    for (const peer of this.#host.registry.byId.values()) list.push(peer.session!.toPublic(true));
    return list;
  }

  answer<Q extends NodeQuery>(query: Q): NodeAnswers[Q['kind']] {
    const { registry } = this.#host;
    const q = query as NodeQuery;
    const value: NodeAnswers[NodeQuery['kind']] =
      q.kind === 'counts'
        ? { connections: this.#host.peers.size, sessions: registry.size, groups: registry.groupCount }
        : q.kind === 'groupSize'
          ? registry.members(q.group).size
          : this.clients();
    return value as NodeAnswers[Q['kind']];
  }

  connectivity(error: Error | null): void {
    this.#host.connectivity(error);
  }
}
