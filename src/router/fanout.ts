// Encode once, write many. A broadcast renders its JSON at most once per
// wire protocol in use among the recipients (ours and the legacy one) and
// frames each rendering at most once per form: plain, and compressed once
// per set of negotiated permessage-deflate parameters (./outgoing.ts); each
// recipient is written one of those very Buffers. Nothing is ever
// compressed per recipient. Every push passes the outbound gate first: a
// recipient over its backpressure limit is skipped (or closed), so one slow
// reader neither grows the server's memory nor holds up the others.

import type { Codec } from './commands.js';
import { compressionStats, Outgoing } from './outgoing.js';
import type { Peer } from './registry.js';

/** Decides whether a push may be written to a peer (the backpressure policy). */
export interface OutboundGate {
  admit(peer: Peer): boolean;
}

/** Writes one pushed message to one peer (compressed when its connection shares deflate parameters and the text is large enough). */
export function writeText(gate: OutboundGate, peer: Peer, text: string): boolean {
  return peer.state === 'open' && gate.admit(peer) && peer.ws.sendPrepared(new Outgoing(text, compressionStats(gate)).frameFor(peer.ws));
}

/**
 * Delivers one message to every peer in `peers` except `except`. `render`
 * runs at most once per codec. Returns how many peers it was written to.
 */
export function fanOut(gate: OutboundGate, peers: Iterable<Peer>, render: (codec: Codec) => string, except: Peer | null = null): number {
  // Two protocols at most, so two slots beat a Map lookup per recipient.
  let codecA: Codec | null = null;
  let outA: Outgoing | null = null;
  let codecB: Codec | null = null;
  let outB: Outgoing | null = null;
  let written = 0;
  for (const peer of peers) {
    if (peer === except || peer.state !== 'open' || !gate.admit(peer)) continue;
    let out: Outgoing;
    if (peer.codec === codecA) out = outA!;
    else if (peer.codec === codecB) out = outB!;
    else {
      out = new Outgoing(render(peer.codec), compressionStats(gate));
      if (codecA === null) [codecA, outA] = [peer.codec, out];
      else [codecB, outB] = [peer.codec, out];
    }
    if (peer.ws.sendPrepared(out.frameFor(peer.ws))) written++;
  }
  return written;
}
