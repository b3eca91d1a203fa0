// Client side of the opening handshake (RFC 6455 §4.1): build the request
// headers and verify the server's response. The error messages are those of
// the `ws` package, so code that matches on them keeps working.

import type { IncomingHttpHeaders } from 'node:http';
import { computeAccept, generateKey } from './accept.js';
import { hasToken, isToken } from './tokens.js';
import { acceptResponse, type DeflateParams, type DeflateSettings } from './permessage-deflate.js';

export interface ClientRequestPlan {
  key: string;
  headers: Record<string, string>;
}

/**
 * Headers for the upgrade request. `extra` may add but not override our own.
 * `version` is the Sec-WebSocket-Version to send: 13 (RFC 6455), or 8 for
 * the last draft, which some old servers still ask for. `extensions`: the
 * Sec-WebSocket-Extensions offer (see deflateOffer), if any.
 */
export function buildClientRequest(protocols: readonly unknown[], extra: Record<string, string> = {}, version: 8 | 13 = 13, extensions?: string): ClientRequestPlan {
  const seen = new Set<string>();
  for (const p of protocols) {
    // RFC 6455 §4.1: each subprotocol is a token, listed once.
    if (typeof p !== 'string' || !isToken(p) || seen.has(p)) throw new SyntaxError('An invalid or duplicated subprotocol was specified');
    seen.add(p);
  }
  const key = generateKey();
  const headers: Record<string, string> = { ...extra };
  headers['Sec-WebSocket-Version'] = String(version);
  headers['Sec-WebSocket-Key'] = key;
  headers['Connection'] = 'Upgrade';
  headers['Upgrade'] = 'websocket';
  if (protocols.length > 0) headers['Sec-WebSocket-Protocol'] = protocols.join(',');
  if (extensions !== undefined) headers['Sec-WebSocket-Extensions'] = extensions;
  return { key, headers };
}

export type ResponseCheck = { ok: true; protocol: string; deflate?: DeflateParams | null } | { ok: false; message: string };

/**
 * Verifies a 101 response against RFC 6455 §4.1 (the client's checks,
 * steps 1-6). `deflate`: the permessage-deflate settings our offer was
 * made from (null: no extension offered).
 */
export function verifyServerResponse(
  statusCode: number | undefined,
  headers: IncomingHttpHeaders,
  key: string,
  protocols: readonly string[],
  deflate: DeflateSettings | null = null,
): ResponseCheck {
  if (statusCode !== 101) return { ok: false, message: `Unexpected server response: ${statusCode}` };
  if (!hasToken(headers.upgrade, 'websocket')) return { ok: false, message: 'Invalid Upgrade header' };
  if (!hasToken(headers.connection, 'upgrade')) return { ok: false, message: 'Invalid Connection header' };
  if (headers['sec-websocket-accept'] !== computeAccept(key)) return { ok: false, message: 'Invalid Sec-WebSocket-Accept header' };
  // §4.1 step 6: a subprotocol must be one we offered; like ws, a server that
  // picks none of several offered is refused too (the client asked for a
  // protocol and would otherwise speak one the server may not know).
  const chosen = headers['sec-websocket-protocol'];
  if (chosen !== undefined) {
    if (protocols.length === 0) return { ok: false, message: 'Server sent a subprotocol but none was requested' };
    if (!protocols.includes(chosen)) return { ok: false, message: 'Server sent an invalid subprotocol' };
  } else if (protocols.length > 0) {
    return { ok: false, message: 'Server sent no subprotocol' };
  }
  // §4.1 step 5: only an extension we offered, as RFC 7692 §5 and §7.1 allow it.
  const negotiated = acceptResponse(headers['sec-websocket-extensions'], deflate);
  if (typeof negotiated === 'string') return { ok: false, message: negotiated };
  return negotiated === null ? { ok: true, protocol: chosen ?? '' } : { ok: true, protocol: chosen ?? '', deflate: negotiated };
}
