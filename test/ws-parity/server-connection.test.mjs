// What a WebSocketServer hands its connections, as ws 8 does: maxPayload
// (1009 to the peer, a RangeError on the server side), skipUTF8Validation,
// autoPong, and allowSynchronousEvents accepted.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { impls, record, within } from './impls.mjs';

const cleanups = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

/** A port-mode server with `options`; resolves with it and a connected reference-free client of the same impl. */
async function pair(impl, options) {
  const wss = new impl.WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  await within(new Promise((r) => wss.once('listening', r)), 'listening');
  cleanups.push(() => new Promise((r) => { for (const c of wss.clients) c.terminate(); wss.close(() => r()); }));
  const serverSide = new Promise((r) => wss.once('connection', r));
  const client = new impl.WebSocket(`ws://127.0.0.1:${wss.address().port}`);
  const log = record(client);
  await within(new Promise((r) => client.once('open', r)), 'open');
  return { wss, client, log, ws: await within(serverSide, 'connection') };
}

for (const impl of impls) {
  const { name } = impl;
  describe(`WebSocketServer connections [${name}]`, () => {
    test('maxPayload: a bigger message closes with 1009; the server side gets a RangeError and 1006', async () => {
      const { client, log, ws } = await pair(impl, { maxPayload: 10 });
      const errors = [];
      ws.on('error', (err) => errors.push(err));
      const serverClosed = new Promise((r) => ws.on('close', (code) => r(code)));
      const messages = [];
      ws.on('message', (m) => messages.push(m.toString()));
      client.send('0123456789');
      client.send('0123456789A');
      await log.done();
      assert.equal(log.close.code, 1009);
      assert.equal(await within(serverClosed, 'server close'), 1006);
      assert.deepEqual(messages, ['0123456789']);
      assert.equal(errors.length, 1);
      assert.ok(errors[0] instanceof RangeError);
      assert.equal(errors[0].message, 'Max payload size exceeded');
      assert.equal(errors[0].code, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
    });

    test('skipUTF8Validation: invalid UTF-8 text is delivered; without it the connection closes with 1007', async () => {
      const bad = Buffer.from([0x68, 0xff, 0x69]);
      const skipping = await pair(impl, { skipUTF8Validation: true });
      const got = new Promise((r) => skipping.ws.once('message', (m, isBinary) => r([Buffer.from(m), isBinary])));
      skipping.client.send(bad, { binary: false });
      assert.deepEqual(await within(got, 'message'), [bad, false]);

      const checking = await pair(impl, {});
      checking.ws.on('error', () => {});
      checking.client.send(bad, { binary: false });
      await checking.log.done();
      assert.equal(checking.log.close.code, 1007);
    });

    test('autoPong: pings are answered by default, not with autoPong false', async () => {
      for (const [options, answered] of [[{}, true], [{ autoPong: false }, false]]) {
        const { client, ws } = await pair(impl, options);
        const pinged = new Promise((r) => ws.once('ping', (d) => r(d.toString())));
        const pongs = [];
        client.on('pong', (d) => pongs.push(d.toString()));
        client.ping('p1');
        assert.equal(await within(pinged, 'ping'), 'p1');
        // A message after the ping: its echo arrives after any pong (one TCP stream, in order).
        const echoed = new Promise((r) => client.once('message', r));
        ws.once('message', (m) => ws.send(m));
        client.send('after');
        await within(echoed, 'echo');
        assert.deepEqual(pongs, answered ? ['p1'] : [], JSON.stringify(options));
      }
    });

    test('allowSynchronousEvents is accepted; messages arrive in order', async () => {
      for (const allowSynchronousEvents of [true, false]) {
        const { client, ws } = await pair(impl, { allowSynchronousEvents });
        const got = [];
        const all = new Promise((r) => ws.on('message', (m) => { got.push(m.toString()); if (got.length === 3) r(); }));
        client.send('a');
        client.send('b');
        client.send('c');
        await within(all, 'three messages');
        assert.deepEqual(got, ['a', 'b', 'c']);
      }
    });
  });
}
