// Server side of the opening handshake (RFC 6455 §4.2): validate the upgrade
// request, build the 101 response, or build a real HTTP error. Sans-I/O: a
// refusal is bytes returned; writing them and closing the socket is the
// session layer's job (src/session/refuse.ts).

import type { IncomingMessage } from 'node:http';
import { computeAccept, isValidKey } from './accept.js';
import { hasToken, isToken } from './tokens.js';

export type UpgradeCheck =
  | { ok: true; key: string; protocols: Set<string> }
  | { ok: false; status: number; message: string; headers?: Record<string, string> };

/**
 * Checks an HTTP request against RFC 6455 §4.2.1, in the order and with the
 * statuses and messages of `ws`, so a refused client sees the same answer
 * from either server. Version 8 (the last hybi draft, framed as 13) is
 * accepted, as `ws` accepts it.
 */
export function validateUpgradeRequest(req: IncomingMessage): UpgradeCheck {
  // §4.2.1 (1): an HTTP/1.1 or higher GET request.
  if (req.method !== 'GET') return { ok: false, status: 405, message: 'Invalid HTTP method' };
  if (req.httpVersionMajor < 1 || (req.httpVersionMajor === 1 && req.httpVersionMinor < 1)) {
    return { ok: false, status: 400, message: 'Invalid HTTP version' };
  }
  // §4.2.1 (3), (4): Upgrade contains "websocket", Connection contains "Upgrade".
  if (!hasToken(req.headers.upgrade, 'websocket')) return { ok: false, status: 400, message: 'Invalid Upgrade header' };
  if (!hasToken(req.headers.connection, 'upgrade')) return { ok: false, status: 400, message: 'Invalid Connection header' };
  // §4.2.1 (5): a base64 key that decodes to 16 bytes.
  const key = req.headers['sec-websocket-key'];
  if (!isValidKey(key)) return { ok: false, status: 400, message: 'Missing or invalid Sec-WebSocket-Key header' };
  // §4.2.1 (6), §4.4: an unsupported version is refused with the supported ones listed.
  const version = Number(req.headers['sec-websocket-version']);
  if (version !== 13 && version !== 8) {
    return { ok: false, status: 400, message: 'Missing or invalid Sec-WebSocket-Version header', headers: SUPPORTED_VERSIONS };
  }
  const offered = req.headers['sec-websocket-protocol'];
  const protocols = offered === undefined ? new Set<string>() : parseProtocols(offered);
  if (protocols === null) return { ok: false, status: 400, message: 'Invalid Sec-WebSocket-Protocol header' };
  return { ok: true, key, protocols };
}

const SUPPORTED_VERSIONS: Readonly<Record<string, string>> = Object.freeze({ 'Sec-WebSocket-Version': '13, 8' });

/**
 * RFC 6455 §4.1: Sec-WebSocket-Protocol is a comma-separated list of
 * distinct tokens. An empty element, a repeated name or a character outside
 * a token makes the whole header invalid (null), as in `ws`.
 */
function parseProtocols(value: string): Set<string> | null {
  const protocols = new Set<string>();
  for (const part of value.split(',')) {
    const name = part.replace(/^[ \t]+|[ \t]+$/g, '');
    if (!isToken(name) || protocols.has(name)) return null;
    protocols.add(name);
  }
  return protocols;
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
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload Too Large',
  418: "I'm a Teapot",
  422: 'Unprocessable Entity',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
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
  const body = message || text;
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
