// RFC 6455 §4.1 step 6 on the client, with ws's rules and messages: the
// server's subprotocol must be one we offered; none offered means none may
// come back; and, as ws has it, offering some and getting none back fails
// too.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { impls, record, types } from './impls.mjs';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const cleanups = [];
after(async () => { for (const c of cleanups) await c(); });

/** A raw server that completes the handshake, answering with `extra` header lines. */
async function server(extra) {
  const srv = net.createServer((socket) => {
    let head = '';
    socket.on('error', () => {});
    socket.on('data', (d) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const key = /sec-websocket-key: *(\S+)/i.exec(head)[1];
      const accept = createHash('sha1').update(key + GUID).digest('base64');
      socket.write(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${accept}`, ...extra, '', ''].join('\r\n'));
      head = '';
    });
  });
  const sockets = new Set();
  srv.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => { for (const s of sockets) s.destroy(); srv.close(() => r()); }));
  return srv.address().port;
}

const cases = [
  ['a subprotocol that was not offered', ['a', 'b'], ['Sec-WebSocket-Protocol: c'], 'Server sent an invalid subprotocol'],
  ['no subprotocol when some were offered', ['a', 'b'], [], 'Server sent no subprotocol'],
  ['a subprotocol when none was offered', undefined, ['Sec-WebSocket-Protocol: a'], 'Server sent a subprotocol but none was requested'],
  ['two subprotocols', ['a', 'b'], ['Sec-WebSocket-Protocol: a, b'], 'Server sent an invalid subprotocol'],
];

for (const { name, WebSocket } of impls) {
  describe(`subprotocol checks [${name}]`, () => {
    for (const [what, offered, extra, message] of cases) {
      test(`${what}: "${message}", then close 1006`, async () => {
        const port = await server(extra);
        const log = record(new WebSocket(`ws://127.0.0.1:${port}/`, offered));
        await log.done();
        assert.deepEqual(types(log), ['upgrade', 'error', 'close']);
        assert.equal(log.errors[0].message, message);
        assert.equal(log.events[1].readyState, 2);
        assert.equal(log.close.code, 1006);
      });
    }

    test('an offered subprotocol selected by the server: open, with protocol set', async () => {
      const port = await server(['Sec-WebSocket-Protocol: b']);
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, ['a', 'b']);
      const log = record(ws);
      await new Promise((resolve) => ws.on('open', resolve));
      assert.equal(ws.protocol, 'b');
      ws.terminate();
      await log.done();
      assert.deepEqual(types(log), ['upgrade', 'open', 'close']);
    });

    test('invalid or duplicated subprotocols throw a SyntaxError', () => {
      for (const bad of [['a', 'a'], ['a b'], [''], [1], 'a,b', null]) {
        assert.throws(() => new WebSocket('ws://127.0.0.1:1/', bad), { name: 'SyntaxError', message: 'An invalid or duplicated subprotocol was specified' }, JSON.stringify(bad));
      }
    });
  });
}
