// `ws-node-server/client` for browsers (and workers): the client core over
// the global WebSocket. Nothing here may import Node built-ins; the build
// (scripts/build-browser.mjs) fails if anything does.

import { ClientCore } from './core.js';
import type { ClientOptions, ClientTypeMap, Platform } from './types.js';

const platform: Platform = {
  createSocket: (url, protocols) => new WebSocket(url, protocols),
  // The browser knows when the network comes back; retrying then beats
  // sitting out a long backoff delay.
  watchNetwork:
    typeof addEventListener === 'function'
      ? (retry) => {
          addEventListener('online', retry);
          return () => removeEventListener('online', retry);
        }
      : undefined,
};

/** The application-protocol client (docs/client.md). */
export class WebSocketNodeClient<T extends ClientTypeMap = ClientTypeMap> extends ClientCore<T> {
  constructor(url: string | URL, options: ClientOptions<T> = {}) {
    super(String(url), options, platform);
  }
}

export { ClientCore, PROTOCOL } from './core.js';
export * from './errors.js';
export type * from './types.js';
