// One upgraded socket, one WebSocket. A socket handed to handleUpgrade()
// twice (a `{ server }` WebSocketServer plus an own 'upgrade' listener that
// calls handleUpgrade too, or two servers on one path) would get a second
// 101 written into an open WebSocket stream; the second call throws instead,
// with ws's message, so the misconfiguration shows at once.

import type { Duplex } from 'node:stream';

const upgraded = new WeakSet<Duplex>();

/** Marks `socket` as taken by a WebSocket; throws when it already was. */
export function claimUpgradedSocket(socket: Duplex): void {
  if (upgraded.has(socket)) {
    throw new Error('server.handleUpgrade() was called more than once with the same socket, possibly due to a misconfiguration');
  }
  upgraded.add(socket);
}
