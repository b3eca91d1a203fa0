// Test-side HTTP/1.1 upgrade helpers (RFC 6455 §4), independent of src/.
import { createHash, randomBytes } from 'node:crypto';

export const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function acceptFor(key) {
  return createHash('sha1').update(key + WS_GUID).digest('base64');
}

export function newKey() {
  return randomBytes(16).toString('base64');
}

/**
 * Parse an HTTP/1.1 head (status or request line + headers). Returns null
 * when `buf` does not yet hold the full head, else
 * { startLine, headers (lower-cased names; repeated names joined by ', '), rest }.
 */
export function parseHead(buf) {
  const end = buf.indexOf('\r\n\r\n');
  if (end === -1) return null;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const headers = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { startLine: lines[0], headers, rest: buf.subarray(end + 4) };
}

export function buildUpgradeRequest({ host, path = '/', key, protocols, extraHeaders = {} }) {
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: ${host}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${key}`,
    'Sec-WebSocket-Version: 13',
  ];
  if (protocols && protocols.length) lines.push(`Sec-WebSocket-Protocol: ${protocols.join(', ')}`);
  for (const [k, v] of Object.entries(extraHeaders)) lines.push(`${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** A 101 response as a well-behaved server would write it, with overridable parts. */
export function buildSwitchingResponse({ key, accept, protocol, extraLines = [], statusLine }) {
  const lines = [
    statusLine ?? 'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${accept ?? acceptFor(key)}`,
  ];
  if (protocol) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  lines.push(...extraLines);
  return `${lines.join('\r\n')}\r\n\r\n`;
}
