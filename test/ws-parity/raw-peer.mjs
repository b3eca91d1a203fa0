// A raw TCP peer for the parity tests: it upgrades with a fixed key, sends
// `bytes` right after the 101, and reports the code of the first close frame
// the server sends (`onClose(code, socket)`). No WebSocket library involved,
// so it can send what no library would.
import net from 'node:net';

const HANDSHAKE =
  'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

export function rawPeer(port, bytes, onClose) {
  const sock = net.connect(port, '127.0.0.1', () => sock.write(HANDSHAKE));
  let buf = Buffer.alloc(0);
  let upgraded = false;
  let closeSeen = false;
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    if (!upgraded) {
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      upgraded = true;
      buf = buf.subarray(end + 4);
      sock.write(bytes);
    }
    if (!closeSeen && buf.length >= 4 && buf[0] === 0x88) {
      closeSeen = true;
      onClose(buf.readUInt16BE(2), sock);
    }
  });
  sock.on('error', () => {});
  return sock;
}
