// Raw HTTP for the server parity tests: send an upgrade request head as
// written (so it can be malformed) and read the whole answer: status,
// headers, body, and whether the server switched protocols.
import net from 'node:net';
import { within } from './impls.mjs';

export const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** The request lines of a valid upgrade, with `overrides` (a header set to null is left out). */
export function upgradeRequest({ method = 'GET', path = '/', version = '1.1', headers = {} } = {}) {
  const all = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': KEY,
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  const lines = [`${method} ${path} HTTP/${version}`];
  for (const [name, value] of Object.entries(all)) if (value !== null) lines.push(`${name}: ${value}`);
  return lines.join('\r\n') + '\r\n\r\n';
}

/**
 * Sends `request` and resolves with `{ status, headers, body, raw }` once the
 * server ends the connection (a refusal) or a 101 head arrived (the socket is
 * then destroyed). Headers are lower-cased names.
 */
export function exchange(port, request) {
  const done = new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let buf = Buffer.alloc(0);
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(parse(buf));
    };
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (/^HTTP\/1\.1 101 /.test(buf.toString('latin1')) && buf.includes('\r\n\r\n')) finish();
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', () => {});
  });
  return within(done, 'the answer to an upgrade request');
}

function parse(buf) {
  const text = buf.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return { status: null, headers: {}, body: '', raw: text };
  const [start, ...lines] = text.slice(0, end).split('\r\n');
  const headers = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: Number(start.split(' ')[1]), headers, body: text.slice(end + 4), raw: text };
}
