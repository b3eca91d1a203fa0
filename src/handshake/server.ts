// Server side of the opening handshake (RFC 6455 §4.2): validate the upgrade
// request, build the 101 response, or build a real HTTP error. Sans-I/O: a
// refusal is bytes returned; writing them and closing the socket is the
// session layer's job (src/session/refuse.ts).

import type { IncomingMessage } from 'node:http';
import { computeAccept, isValidKey } from './accept.js';
import { hasToken, isToken, splitTokens } from './tokens.js';

export type UpgradeCheck =
  | { ok: true; key: string; protocols: Set<string> }
  | { ok: false; status: number; message: string; headers?: Record<string, string> };

/** Checks an HTTP request against RFC 6455 §4.2.1. */
export function validateUpgradeRequest(req: IncomingMessage): UpgradeCheck {
  // §4.2.1 (1): an HTTP/1.1 or higher GET request.
  if (req.method !== 'GET') {
    return { ok: false, status: 405, message: 'Invalid HTTP method: a WebSocket upgrade must be a GET', headers: { Allow: 'GET' } };
  }
  if (req.httpVersionMajor < 1 || (req.httpVersionMajor === 1 && req.httpVersionMinor < 1)) {
    return { ok: false, status: 400, message: 'Invalid HTTP version: a WebSocket upgrade needs HTTP/1.1' };
  }
  // §4.2.1 (3), (4): Upgrade contains "websocket", Connection contains "Upgrade".
  if (!hasToken(req.headers.upgrade, 'websocket')) {
    return { ok: false, status: 400, message: 'Missing or invalid Upgrade header: expected "websocket"' };
  }
  if (!hasToken(req.headers.connection, 'upgrade')) {
    return { ok: false, status: 400, message: 'Missing or invalid Connection header: expected "Upgrade"' };
  }
  // §4.2.1 (6): the version must be 13; otherwise answer 426 naming it (§4.4).
  const version = req.headers['sec-websocket-version'];
  if (version !== '13') {
    return {
      ok: false,
      status: version === undefined ? 400 : 426,
      message: version === undefined ? 'Missing Sec-WebSocket-Version header' : `Unsupported WebSocket version ${JSON.stringify(version)}`,
      headers: { 'Sec-WebSocket-Version': '13' },
    };
  }
  // §4.2.1 (5): a base64 key that decodes to 16 bytes.
  const key = req.headers['sec-websocket-key'];
  if (!isValidKey(key)) {
    return { ok: false, status: 400, message: 'Missing or invalid Sec-WebSocket-Key header' };
  }
  const protocols = new Set<string>();
  const offered = req.headers['sec-websocket-protocol'];
  if (offered === undefined) return { ok: true, key, protocols };
  for (const p of splitTokens(offered)) {
    if (!isToken(p) || protocols.has(p)) {
      return { ok: false, status: 400, message: 'Invalid Sec-WebSocket-Protocol header' };
    }
    protocols.add(p);
  }
  return { ok: true, key, protocols };
}

/** The 101 Switching Protocols response head, as header lines. */
export function buildAcceptHeaders(key: string, protocol: string | undefined, extra: readonly string[] = []): string[] {
  const lines = [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${computeAccept(key)}`,
  ];
  if (protocol) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  for (const line of extra) lines.push(line);
  return lines;
}

/** An HTTP refusal of an upgrade: the status, a plain-text body, extra headers. */
export interface Refusal {
  status: number;
  message?: string;
  headers?: Readonly<Record<string, string | number>>;
}

// RFC 9110 §15 reason phrases of the statuses the servers send. A status
// outside the table gets its class's phrase: clients ignore the phrase
// (RFC 9112 §4), the status code is what they act on.
const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The reason phrase for a status code. */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? (status >= 500 ? 'Server Error' : status >= 400 ? 'Client Error' : 'Error');
}

/**
 * A complete HTTP/1.1 response refusing an upgrade: status line, headers
 * (`Connection: close`, a plain-text body's type and length, then `headers`,
 * which may override them) and the body (`message`, or the reason phrase).
 * Every refusal is one of these, so clients always see a well-formed answer.
 */
export function buildRefusal(status: number, message?: string, headers: Readonly<Record<string, string | number>> = {}): Buffer {
  const text = reasonPhrase(status);
  const body = message ?? text;
  const all: Record<string, string | number> = {
    Connection: 'close',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  };
  let head = `HTTP/1.1 ${status} ${text}\r\n`;
  for (const [name, value] of Object.entries(all)) head += `${name}: ${value}\r\n`;
  return Buffer.from(`${head}\r\n${body}`);
}
