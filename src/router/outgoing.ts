// One pushed message on its way out: its text, rendered once, and the
// frames built from it, each built at most once. The plain frame serves
// every connection without permessage-deflate, those below its threshold,
// and those whose compressor keeps its context between messages. A
// compressed frame is built once per set of negotiated parameters
// (`ws.sharedDeflate`, interned by the session layer): with
// server_no_context_takeover, a message compressed alone in a fresh context
// is valid on every connection that agreed on the same parameters
// (RFC 7692 §7.1.1.1, §7.2.1), so a broadcast never compresses per
// recipient. Sending a connection with context takeover an uncompressed
// frame is always allowed (RFC 7692 §6: RSV1 is set per message).

import { prepareFrame } from '../frame/index.js';
import { prepareDeflatedFrame, type SharedDeflate, type WebSocket } from '../session/index.js';

/** What the router's compression did (ServerStats.compression). */
export interface CompressionStats {
  /** Pushes compressed: one per message and set of negotiated parameters, whatever the number of recipients. */
  compressed: number;
  /** Their payload bytes before compression. */
  bytesIn: number;
  /** Their payload bytes after compression (frame headers excluded). */
  bytesOut: number;
}

const statsByHost = new WeakMap<object, CompressionStats>();

/**
 * The compression counters of one router (the push gate every fan-out
 * goes through), kept beside it rather than in it: created on first use.
 */
export function compressionStats(host: object): CompressionStats {
  let stats = statsByHost.get(host);
  if (stats === undefined) statsByHost.set(host, (stats = { compressed: 0, bytesIn: 0, bytesOut: 0 }));
  return stats;
}

export class Outgoing {
  readonly text: string;
  readonly #stats: CompressionStats | null;
  #plain: Buffer | null = null;
  /** UTF-8 length of the text, measured the first time a threshold is compared with it. */
  #bytes = -1;
  /** Parameter sets seen among the recipients, and their frames, side by side: one or two in practice, so arrays beat a Map. */
  readonly #params: SharedDeflate[] = [];
  readonly #deflated: Buffer[] = [];

  constructor(text: string, stats: CompressionStats | null = null) {
    this.text = text;
    this.#stats = stats;
  }

  /** The frame to write to `ws`. */
  frameFor(ws: WebSocket): Buffer {
    const params = ws.sharedDeflate;
    if (params === null) return (this.#plain ??= prepareFrame(this.text, false));
    if (this.#bytes < 0) this.#bytes = Buffer.byteLength(this.text);
    if (this.#bytes < params.threshold) return (this.#plain ??= prepareFrame(this.text, false));
    const i = this.#params.indexOf(params);
    if (i >= 0) return this.#deflated[i]!;
    const frame = prepareDeflatedFrame(this.text, false, params);
    this.#params.push(params);
    this.#deflated.push(frame);
    const stats = this.#stats;
    if (stats !== null) {
      stats.compressed++;
      stats.bytesIn += this.#bytes;
      stats.bytesOut += frame.length - headerLength(frame);
    }
    return frame;
  }
}

/** Length of an unmasked frame's header (RFC 6455 §5.2). */
function headerLength(frame: Buffer): number {
  const len = frame[1]! & 0x7f;
  return len === 127 ? 10 : len === 126 ? 4 : 2;
}
