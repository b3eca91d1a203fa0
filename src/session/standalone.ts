// The http server a WebSocket server creates when it owns its port (the
// `port` option of WebSocketServer, WebSocketNodeServer without an http
// server). Node's own limits guard the request head (slowloris, huge
// headers), and a plain HTTP request is told to upgrade.

import * as http from 'node:http';
import type * as https from 'node:https';

export interface HandshakeLimits {
  /** ms allowed for the whole request head (408 past it); 0: Node's own defaults. */
  handshakeTimeout: number;
  /** Largest request head in bytes (431 above it). */
  maxHeaderSize: number;
}

export const HANDSHAKE_DEFAULTS: Readonly<HandshakeLimits> = Object.freeze({ handshakeTimeout: 10_000, maxHeaderSize: 16 * 1024 });

/** Creates (does not bind) the http server of a standalone WebSocket server. */
export function createStandaloneServer(limits: HandshakeLimits): http.Server {
  return http.createServer(serverOptions(limits), upgradeRequired);
}

function serverOptions(limits: HandshakeLimits): http.ServerOptions {
  const timeout = limits.handshakeTimeout;
  if (timeout === 0) return { maxHeaderSize: limits.maxHeaderSize };
  return {
    maxHeaderSize: limits.maxHeaderSize,
    headersTimeout: timeout,
    // Node requires requestTimeout >= headersTimeout; it never applies after an upgrade.
    requestTimeout: Math.max(timeout, 30_000),
    // How often Node checks the two timeouts above.
    connectionsCheckingInterval: Math.max(100, Math.min(1000, timeout / 2)),
  };
}

const UPGRADE_REQUIRED = 'Upgrade Required';

/** RFC 9110 §15.5.22: a 426 names the protocol to switch to in Upgrade. */
function upgradeRequired(_req: http.IncomingMessage, res: http.ServerResponse): void {
  res.writeHead(426, { 'Content-Type': 'text/plain', 'Content-Length': UPGRADE_REQUIRED.length, Upgrade: 'websocket' });
  res.end(UPGRADE_REQUIRED);
}

/** Binds a standalone http server; rejects (a port in use, say) without leaving a listener behind. */
export function bindStandalone(server: http.Server | https.Server, port: number, host: string | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
