// Encode once, write many. A broadcast renders its JSON and builds its frame
// at most once per wire protocol in use among the recipients (ours and the
// legacy one), then writes that very Buffer to each recipient's socket.
// Every push passes the outbound gate first: a recipient over its
// backpressure limit is skipped (or closed), so one slow reader neither
// grows the server's memory nor holds up the others.

import { prepareFrame } from '../frame/index.js';
import type { Codec } from './commands.js';
import type { Peer } from './registry.js';

/** Decides whether a push may be written to a peer (the backpressure policy). */
export interface OutboundGate {
  admit(peer: Peer): boolean;
}

/** Writes one pushed message to one peer. */
export function writeText(gate: OutboundGate, peer: Peer, text: string): boolean {
  return peer.state === 'open' && gate.admit(peer) && peer.ws.sendPrepared(prepareFrame(text, false));
}

/**
 * Delivers one message to every peer in `peers` except `except`. `render`
 * runs at most once per codec. Returns how many peers it was written to.
 */
export function fanOut(gate: OutboundGate, peers: Iterable<Peer>, render: (codec: Codec) => string, except: Peer | null = null): number {
  // Two protocols at most, so two slots beat a Map lookup per recipient.
  let codecA: Codec | null = null;
  let frameA: Buffer | null = null;
  let codecB: Codec | null = null;
  let frameB: Buffer | null = null;
  let written = 0;
  for (const peer of peers) {
    if (peer === except || peer.state !== 'open' || !gate.admit(peer)) continue;
    let frame: Buffer;
    if (peer.codec === codecA) frame = frameA!;
    else if (peer.codec === codecB) frame = frameB!;
    else {
      frame = prepareFrame(render(peer.codec), false);
      if (codecA === null) [codecA, frameA] = [peer.codec, frame];
      else [codecB, frameB] = [peer.codec, frame];
    }
    if (peer.ws.sendPrepared(frame)) written++;
  }
  return written;
}
