// The one place an upgrade refusal reaches the network. The handshake layer
// builds the response as bytes (buildRefusal); this writes them, ends the
// socket and makes sure nothing the peer does afterwards can throw.

import type { Duplex } from 'node:stream';
import { buildRefusal, type Refusal } from '../handshake/server.js';

/**
 * Answers an upgrade request with a complete HTTP error response and closes
 * the connection. A socket already gone is left alone; a socket whose peer
 * stopped reading is destroyed once the bytes are handed over or on its
 * first error, and any later error is swallowed (a refused peer resetting
 * the connection must not crash the process).
 */
export function refuse(socket: Duplex, refusal: Refusal): void {
  if (socket.destroyed) return;
  socket.on('error', onRefusedError);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.once('finish', onRefusedFinish);
  socket.end(buildRefusal(refusal.status, refusal.message, refusal.headers));
}

function onRefusedFinish(this: Duplex): void {
  this.destroy();
}

function onRefusedError(this: Duplex): void {
  this.destroy();
}
