// The raw floor: a bare node:net server with the least work a WebSocket
// server can do. Minimal handshake (find the key, answer 101), no validation
// beyond what echo needs, and a broadcast that frames each message once and
// writes that Buffer to every socket (no corking, no batching). Its group
// is a Set of the sockets whose upgrade request asked for /?group=g.
import net from 'node:net';
import { once } from 'node:events';
import { acceptKey, serverFrame } from '../lib/wire.mjs';

export const label = 'raw floor';

const KEY_RE = /\r\nsec-websocket-key:\s*([^\r\n]+)/i;

export async function start({ host, port }) {
  const sockets = new Set();
  const group = new Set();
  const server = net.createServer((sock) => {
    sock.setNoDelay(true);
    sock.on('error', () => {});
    let buf = null;
    let upgraded = false;
    sock.on('data', (chunk) => {
      buf = buf === null ? chunk : Buffer.concat([buf, chunk]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.toString('latin1', 0, end + 2);
        const m = KEY_RE.exec(head);
        if (!m) return void sock.destroy();
        sock.write(
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            `Sec-WebSocket-Accept: ${acceptKey(m[1].trim())}\r\n\r\n`,
        );
        upgraded = true;
        sockets.add(sock);
        sock.once('close', () => sockets.delete(sock));
        if (head.startsWith('GET /?group=g ')) {
          group.add(sock);
          sock.once('close', () => group.delete(sock));
        }
        buf = end + 4 < buf.length ? buf.subarray(end + 4) : null;
        if (buf === null) return;
      }
      // Echo: unmask complete client frames and send them back unmasked.
      let i = 0;
      while (buf.length - i >= 6) {
        let len = buf[i + 1] & 0x7f;
        let hl = 6;
        if (len === 126) {
          if (buf.length - i < 8) break;
          len = buf.readUInt16BE(i + 2);
          hl = 8;
        } else if (len === 127) {
          if (buf.length - i < 14) break;
          len = buf.readUInt32BE(i + 2) * 2 ** 32 + buf.readUInt32BE(i + 6);
          hl = 14;
        }
        if (buf.length - i < hl + len) break;
        const op = buf[i] & 0x0f;
        if (op === 8) return void sock.destroy();
        const payload = buf.subarray(i + hl, i + hl + len);
        const m0 = i + hl - 4;
        for (let j = 0; j < len; j++) payload[j] ^= buf[m0 + (j & 3)];
        sock.write(serverFrame(payload, op));
        i += hl + len;
      }
      buf = i < buf.length ? buf.subarray(i) : null;
    });
  });
  server.listen({ host, port, backlog: 511 });
  await once(server, 'listening');
  return {
    port: server.address().port,
    count: () => sockets.size,
    groupCount: () => group.size,
    modes: {
      raw(msg) {
        const frame = serverFrame(typeof msg === 'string' ? Buffer.from(msg) : msg, typeof msg === 'string' ? 1 : 2);
        for (const s of sockets) s.write(frame);
      },
      rawGroup(msg) {
        const frame = serverFrame(typeof msg === 'string' ? Buffer.from(msg) : msg, typeof msg === 'string' ? 1 : 2);
        for (const s of group) s.write(frame);
      },
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
