// The interfaces between a Transport (transport.ts) and the WebSocket it
// serves: what it asks of its owner, and the options it runs with.

import type { BinaryType } from './binary-type.js';

/** What the transport asks of the WebSocket it serves (WebSocketBase). */
export interface TransportOwner {
  emit(event: string, ...args: unknown[]): boolean;
  listenerCount(event: string): number;
  readonly binaryType: BinaryType;
  /** @internal Set on inbound data (the heartbeat sweep reads it). */
  _alive: boolean;
  /** @internal Set on inbound messages (the idle sweep reads it). */
  _active: boolean;
  /** @internal The server that accepted the connection, told when it closes. */
  _server: { _clientClosed(ws: never): void } | null;
}

/** The backpressure policy as the transport applies it (BackpressureOptions in websocket.ts). */
export interface BackpressurePolicy {
  limit: number;
  policy: 'drop' | 'close';
  closeCode?: number;
  onLimit?(owner: TransportOwner, action: 'drop' | 'close', bufferedAmount: number): void;
}

export const NO_BACKPRESSURE: BackpressurePolicy = { limit: 0, policy: 'drop' };

/** The per-connection options the transport and its Connection use (SocketOptions in websocket.ts). */
export interface TransportOptions {
  maxPayload?: number;
  skipUTF8Validation?: boolean;
  autoPong?: boolean;
  closeTimeout?: number;
  backpressure?: BackpressurePolicy;
  generateMask?: (mask: Buffer) => void;
}
