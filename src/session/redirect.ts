// Following redirects in the opening handshake (options followRedirects and
// maxRedirects). Credentials stay with the host they were given for: when a
// redirect leads to another host (or socket path), or from wss: down to ws:,
// the Authorization and Cookie headers and the `auth` option are dropped
// (and Host, when the host changed), as curl does. With a 'redirect'
// listener the application decides instead, on the request it is handed.

import type { ClientOptions } from './client-options.js';

/** What the first attempt went to: the reference for "same host". */
export interface Origin {
  ipc: boolean;
  secure: boolean;
  place: string;
}

/** Handshake state kept across the attempts of one connection. */
export interface DialState {
  protocols: string[];
  /** The caller's options; with followRedirects, a copy whose headers are keyed in lower case. */
  options: ClientOptions;
  redirects: number;
  origin: Origin | null;
}

/**
 * A copy of the options whose headers can be changed without touching the
 * caller's object, keyed in lower case so that one name is one entry.
 */
export function ownHeaders(options: ClientOptions): ClientOptions {
  const headers: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options.headers ?? {})) headers[k.toLowerCase()] = v;
  return { ...options, headers: headers as ClientOptions['headers'] };
}

/** Removes what must not follow a redirect from `origin` to `to`, unless the same host over a no less secure scheme. */
export function dropCredentials(origin: Origin, to: Origin, headers: Record<string, unknown>, requestOptions: Record<string, unknown>): void {
  const sameHost = origin.ipc === to.ipc && origin.place === to.place;
  if (sameHost && !(origin.secure && !to.secure)) return;
  delete headers.authorization;
  delete headers.cookie;
  if (!sameHost) delete headers.host;
  requestOptions.auth = undefined;
}

/**
 * Keeps credentials from the URL or `auth` as an Authorization header on the
 * caller's copy, so a same-host redirect (whose URL has none) still carries
 * them; a header the caller set wins.
 */
export function carryAuth(options: ClientOptions, requestOptions: Record<string, unknown>): void {
  const auth = requestOptions.auth;
  const headers = options.headers as Record<string, unknown>;
  if (typeof auth === 'string' && auth !== '' && headers.authorization === undefined) {
    headers.authorization = 'Basic ' + Buffer.from(auth).toString('base64');
  }
}
