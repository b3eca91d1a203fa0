// The backpressure policy of one connection: what happens to a message
// when the peer stops taking bytes (see BackpressureOptions in websocket.ts).

import type { Transport } from './transport.js';

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
  const total = io.queued;
  return total > io.fresh ? total : 0;
}

/** Applies the backpressure policy; true when the message must not be written. */
export function overLimit(io: Transport): boolean {
  const bp = io.backpressure;
  if (bp.limit === 0 || io.socket === null) return false;
  const queued = io.queued;
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
