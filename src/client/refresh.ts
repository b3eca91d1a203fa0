// Refreshing the session (docs/protocol.md, "Refreshing a session"): new
// credentials go out as `refresh` on the connection in use, not as a new
// login, so the session keeps its id, groups and subscriptions. Sent by
// authenticate(credentials) while authenticated, and by the client itself
// when the server says the session is `expiring`.

import type { Done } from './calls.js';
import type { Outbox } from './outbox.js';
import type { CallOptions } from './types.js';

/** What a refresh needs from the connection. */
export interface RefreshHost {
  readonly out: Outbox;
  readonly requestTimeout: number;
}

/** Sends `refresh`; `done` gets the answer's `{ session, expiresIn }` or the error. */
export function sendRefresh(host: RefreshHost, credentials: unknown, options: CallOptions, done: Done): void {
  const call = host.out.calls.create({ type: 'refresh', credentials }, options, host.requestTimeout, done);
  if (call !== null) host.out.submit(call);
}

/** The client-side session in a refresh answer (the whole answer from a server that sends no object). */
export function refreshedSession(data: unknown): unknown {
  return typeof data === 'object' && data !== null && 'session' in data ? (data as { session: unknown }).session : data;
}
