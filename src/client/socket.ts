// Small helpers around the injected WebSocket and the options.

import type { WebSocketLike } from './types.js';

/** readyState values of the WebSocket API. */
export const OPEN = 1;
const CLOSED = 3;

export function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0)) throw new RangeError(`${name} must be a non-negative number`);
  return value;
}

/** Closes a socket we are done with; resolves when its close event came. */
export function closeSocket(socket: WebSocketLike, code: number, reason: string): Promise<void> {
  socket.onopen = socket.onmessage = socket.onerror = null;
  if (socket.readyState === CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    socket.onclose = () => resolve();
    try {
      socket.close(code, reason);
    } catch {
      resolve();
    }
  });
}
