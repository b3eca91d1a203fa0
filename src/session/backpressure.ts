// The backpressure policy of one connection: what happens to a message
// when the peer stops taking bytes (see BackpressureOptions).

import type { Transport } from './transport.js';
import type { WebSocketBase } from './websocket.js';

/**
 * Per-connection bound on bytes queued for sending. Past `limit`, a send is
 * either dropped (counted, reported) or the connection is closed with
 * `closeCode`, so a peer that stops reading cannot grow server memory.
 *
 * The bound applies to what the peer failed to take: bytes still queued from
 * earlier event-loop iterations (plus, once there are such bytes, everything
 * queued after them). Writes of the current iteration alone never trigger it,
 * however large the burst, so a fast reader is not punished for a big
 * broadcast; an absolute cap of HARD_CAP_FACTOR times `limit` on everything
 * queued still bounds a connection's memory within one iteration.
 */
export interface BackpressureOptions {
  /** Bytes the peer failed to take above which the policy applies. 0 = no limit. */
  limit: number;
  /** 'drop': refuse the message; 'close': close the connection. */
  policy: 'drop' | 'close';
  /** Close code for the 'close' policy: 1013 (try again later) or 1008. Default 1013. */
  closeCode?: number;
  /** Called once per dropped message or closed connection. */
  onLimit?: (ws: WebSocketBase, action: 'drop' | 'close', bufferedAmount: number) => void;
}

export const NO_BACKPRESSURE: BackpressureOptions = { limit: 0, policy: 'drop' };

/**
 * Past this multiple of the backpressure limit, everything queued for a
 * connection counts, even bytes written in the current iteration.
 */
const HARD_CAP_FACTOR = 8;

/**
 * What the peer failed to take: 0 while everything queued was written in
 * the current iteration (or since this connection's last batch flush);
 * once bytes from earlier iterations are still queued, everything queued.
 * The measure the backpressure bound applies to.
 */
export function backlog(io: Transport): number {
  const total = io.bufferedAmount;
  return total > io.fresh ? total : 0;
}

/** Applies the backpressure policy; true when the message must not be written. */
export function overLimit(io: Transport): boolean {
  const bp = io.backpressure;
  if (bp.limit === 0 || io.socket === null) return false;
  const queued = io.bufferedAmount;
  if (queued <= bp.limit) return false;
  // Over the limit only by this iteration's writes: a burst, not a slow reader.
  if (queued <= io.fresh && queued <= bp.limit * HARD_CAP_FACTOR) return false;
  if (bp.policy === 'drop') {
    io.dropped++;
    bp.onLimit?.(io.ws, 'drop', queued);
    return true;
  }
  if (io.close(bp.closeCode ?? 1013, 'Backpressure limit exceeded')) bp.onLimit?.(io.ws, 'close', queued);
  return true;
}
