// One upgraded socket, one WebSocket: a second handleUpgrade() with the same
// socket (e.g. `{ server }` plus an own 'upgrade' listener) throws, as in ws,
// instead of writing a second 101 into the open stream.

import type { Duplex } from 'node:stream';

const upgraded = new WeakSet<Duplex>();

/** Marks `socket` as taken by a WebSocket; throws when it already was. */
export function claimUpgradedSocket(socket: Duplex): void {
  if (upgraded.has(socket)) {
    throw new Error('server.handleUpgrade() was called more than once with the same socket, possibly due to a misconfiguration');
  }
  upgraded.add(socket);
}
