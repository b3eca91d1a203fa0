// permessage-deflate with the `ws` package, both directions: our server with
// ws's client, ws's server with our client (CONFORMANCE_TARGET=ws: ws with
// ws). For each server configuration: text and binary of many sizes,
// fragmented sends, a large message and a long run, all in order, and the
// bytes on the wire show that compression happened.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket as WsClient, WebSocketServer as WsServer } from 'ws';
import { WebSocket, WebSocketServer, targetName } from '../helpers/target.mjs';
import { openPair, echo } from '../helpers/pairs.mjs';
import { bytesOf } from '../helpers/client-log.mjs';

const CONFIGS = [
  ['defaults (true)', true],
  ['context takeover both ways', { serverNoContextTakeover: false, clientNoContextTakeover: false }],
  ['no context takeover both ways', { serverNoContextTakeover: true, clientNoContextTakeover: true }],
  ['window bits 9 / 10', { serverMaxWindowBits: 9, clientMaxWindowBits: 10, serverNoContextTakeover: false, clientNoContextTakeover: false }],
  ['threshold 0', { threshold: 0 }],
];

function text(n, seed) {
  const unit = `line ${seed}: abc \u00b5\u00df \u4e2d\u6587 \u{1f600}\n`;
  let s = unit.repeat(Math.ceil(n / unit.length) + 1).slice(0, n);
  if (/[\ud800-\udbff]$/.test(s)) s = s.slice(0, -1);
  return s;
}
function bytes(n, seed) {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = ((i >> 4) * 7 + seed) & 0xff;
  return b;
}

/** Waits until the client has `n` messages. */
const received = (p, n) => p.clog.waitFor(() => p.clog.messages.length >= n, 20000);

function directions() {
  return [
    [`${targetName} server <-> ws client`, WebSocketServer, WsClient],
    [`ws server <-> ${targetName} client`, WsServer, WebSocket],
  ];
}

for (const [title, Server, Client] of directions()) {
  describe(`permessage-deflate: ${title}`, () => {
    for (const [name, option] of CONFIGS) {
      test(`${name}: negotiated; text and binary of 0 B..256 KiB and fragmented messages echo in order`, { timeout: 30000 }, async () => {
        const p = await openPair(Server, Client, { serverOptions: { perMessageDeflate: option }, clientOptions: { perMessageDeflate: true }, onConnection: echo });
        try {
          assert.equal(p.client.extensions, 'permessage-deflate');
          assert.equal(p.server.extensions, 'permessage-deflate');
          const expected = [];
          for (const n of [0, 1, 16, 100, 1023, 1024, 1025, 4096, 32768, 65536, 262144]) {
            const t = text(n, n);
            const b = bytes(n, n);
            p.client.send(t);
            p.client.send(b);
            expected.push(Buffer.from(t), b);
          }
          // A fragmented message from the client, then one that is not.
          p.client.send(text(3000, 1), { fin: false });
          p.client.send(text(3000, 2), { fin: false });
          p.client.send(text(10, 3), { fin: true });
          p.client.send('after');
          expected.push(Buffer.from(text(3000, 1) + text(3000, 2) + text(10, 3)), Buffer.from('after'));
          assert.ok(await received(p, expected.length), `got ${p.clog.messages.length} of ${expected.length}`);
          const got = p.clog.messages.map((m) => bytesOf(m.data));
          got.forEach((g, i) => assert.ok(g.equals(expected[i]), `message ${i} differs (${g.length} vs ${expected[i].length} bytes)`));
          assert.deepEqual(p.clog.messages.map((m) => m.isBinary), expected.map((_, i) => i < 22 && i % 2 === 1));
        } finally { await p.cleanup(); }
      });
    }

    test('a 4 MiB message and 500 small ones in order; the wire carries far fewer bytes than the payloads', { timeout: 30000 }, async () => {
      const p = await openPair(Server, Client, {
        serverOptions: { perMessageDeflate: { serverNoContextTakeover: false, clientNoContextTakeover: false, threshold: 0 } },
        clientOptions: { perMessageDeflate: true },
        onConnection: echo,
      });
      try {
        const big = text(4 * 1024 * 1024, 9);
        p.client.send(big);
        const small = Array.from({ length: 500 }, (_, i) => `message number ${i} of a long run of similar messages`);
        for (const m of small) p.client.send(m);
        assert.ok(await received(p, 501), `got ${p.clog.messages.length} of 501`);
        assert.equal(bytesOf(p.clog.messages[0].data).toString(), big);
        assert.deepEqual(p.clog.messages.slice(1).map((m) => bytesOf(m.data).toString()), small);
        const payload = Buffer.byteLength(big) + small.reduce((n, m) => n + m.length, 0);
        const onWire = p.client._socket.bytesRead;
        assert.ok(onWire < payload / 10, `${onWire} bytes on the wire for ${payload} bytes of payload`);
      } finally { await p.cleanup(); }
    });

    test('the client with perMessageDeflate: false gets no extension from a compressing server', { timeout: 10000 }, async () => {
      const p = await openPair(Server, Client, { serverOptions: { perMessageDeflate: true }, clientOptions: { perMessageDeflate: false }, onConnection: echo });
      try {
        assert.equal(p.client.extensions, '');
        p.client.send('x'.repeat(5000));
        assert.ok(await received(p, 1));
        assert.equal(bytesOf(p.clog.messages[0].data).toString(), 'x'.repeat(5000));
      } finally { await p.cleanup(); }
    });
  });
}
