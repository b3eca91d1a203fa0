// Client side of the opening handshake (RFC 6455 §4.1): build the request
// headers and verify the server's response.

import type { IncomingHttpHeaders } from 'node:http';
import { computeAccept, generateKey } from './accept.js';
import { hasToken, isToken, splitTokens } from './tokens.js';

export interface ClientRequestPlan {
  key: string;
  headers: Record<string, string>;
}

/** Headers for the upgrade request. `extra` may add but not override our own. */
export function buildClientRequest(protocols: readonly string[], extra: Record<string, string> = {}): ClientRequestPlan {
  const seen = new Set<string>();
  for (const p of protocols) {
    if (!isToken(p) || seen.has(p)) throw new SyntaxError(`Invalid or duplicate subprotocol: ${JSON.stringify(p)}`);
    seen.add(p);
  }
  const key = generateKey();
  const headers: Record<string, string> = { ...extra };
  headers['Connection'] = 'Upgrade';
  headers['Upgrade'] = 'websocket';
  headers['Sec-WebSocket-Version'] = '13';
  headers['Sec-WebSocket-Key'] = key;
  if (protocols.length > 0) headers['Sec-WebSocket-Protocol'] = protocols.join(',');
  return { key, headers };
}

export type ResponseCheck = { ok: true; protocol: string } | { ok: false; message: string };

/** Verifies a 101 response against RFC 6455 §4.1 (steps 1-6 of the client's checks). */
export function verifyServerResponse(
  statusCode: number | undefined,
  headers: IncomingHttpHeaders,
  key: string,
  protocols: readonly string[],
): ResponseCheck {
  if (statusCode !== 101) return { ok: false, message: `Unexpected server response: ${statusCode}` };
  if (!hasToken(headers.upgrade, 'websocket')) return { ok: false, message: 'Invalid Upgrade header in the server response' };
  if (!hasToken(headers.connection, 'upgrade')) return { ok: false, message: 'Invalid Connection header in the server response' };
  if (headers['sec-websocket-accept'] !== computeAccept(key)) {
    return { ok: false, message: 'Invalid Sec-WebSocket-Accept header' };
  }
  // We offer no extensions, so the server must not claim any (§4.1, step 5).
  if (headers['sec-websocket-extensions'] !== undefined) {
    return { ok: false, message: 'Server sent a Sec-WebSocket-Extensions header but no extension was requested' };
  }
  const chosen = splitTokens(headers['sec-websocket-protocol']);
  if (chosen.length === 0) return { ok: true, protocol: '' };
  if (chosen.length > 1 || !protocols.includes(chosen[0])) {
    return { ok: false, message: 'Server sent an invalid subprotocol' };
  }
  return { ok: true, protocol: chosen[0] };
}
