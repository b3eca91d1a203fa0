// What send(), close() and ping() accept and what goes on the wire, as ws 8
// does it: numbers as text, "nothing" (undefined, null, false) as an empty
// binary message, Blobs and array-likes as their bytes, and a TypeError for
// what cannot be sent, so a forgotten JSON.stringify is caught, not shipped.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { impls, within } from './impls.mjs';

const TYPE_ERROR = /^The first argument must be of type string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object\. Received /;

/** A server that records each message as [isBinary, hex], and an open client. */
async function pair(impl) {
  const wss = new impl.WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.on('listening', r));
  const got = [];
  let notify = () => {};
  wss.on('connection', (s) => s.on('message', (data, isBinary) => {
    got.push([isBinary, Buffer.from(data).toString('hex')]);
    notify();
  }));
  const ws = new impl.WebSocket(`ws://127.0.0.1:${wss.address().port}`);
  await within(new Promise((r) => ws.once('open', r)), 'open');
  const received = (n) => within(new Promise((resolve) => {
    notify = () => got.length >= n && resolve(got.slice());
    notify();
  }), `${n} messages`);
  return { wss, ws, got, received };
}

const hex = (s) => Buffer.from(s).toString('hex');

for (const impl of impls) {
  describe(`send() [${impl.name}]`, () => {
    const open = [];
    after(() => { for (const { ws, wss } of open) { ws.terminate(); wss.close(); } });

    test('numbers go as text; undefined, null and false as an empty binary message', async () => {
      const p = await pair(impl);
      open.push(p);
      for (const v of [42, 0, undefined, null, false, '']) p.ws.send(v);
      assert.deepEqual(await p.received(6), [
        [false, hex('42')],
        [false, hex('0')],
        [true, ''],
        [true, ''],
        [true, ''],
        [false, ''],
      ]);
    });

    test('a Blob goes as its bytes, binary, in order with what was sent around it, callbacks in order', async () => {
      const p = await pair(impl);
      open.push(p);
      const order = [];
      p.ws.send('a', () => order.push('a'));
      p.ws.send(new Blob(['blob!']), () => order.push('blob'));
      p.ws.send('c', () => order.push('c'));
      assert.deepEqual(await p.received(3), [[false, hex('a')], [true, hex('blob!')], [false, hex('c')]]);
      await within(new Promise((r) => { const t = setInterval(() => order.length === 3 && (clearInterval(t), r()), 5); }), 'callbacks');
      assert.deepEqual(order, ['a', 'blob', 'c']);
    });

    test('arrays and typed arrays go as their bytes', async () => {
      const p = await pair(impl);
      open.push(p);
      p.ws.send([1, 2]);
      p.ws.send(new Uint16Array([65, 66]));
      p.ws.send(new DataView(new Uint8Array([7, 8, 9]).buffer, 1));
      assert.deepEqual(await p.received(3), [[true, '0102'], [true, '41004200'], [true, '0809']]);
    });

    test('what cannot be sent throws a TypeError and sends nothing', async () => {
      const p = await pair(impl);
      open.push(p);
      for (const v of [true, {}, Symbol('x'), 10n, () => 1]) {
        assert.throws(() => p.ws.send(v), (err) => err instanceof TypeError && TYPE_ERROR.test(err.message), String(typeof v));
      }
      p.ws.send('after');
      assert.deepEqual(await p.received(1), [[false, hex('after')]]);
    });

    test('close() and ping() check their arguments with ws\'s error types', async () => {
      const p = await pair(impl);
      open.push(p);
      assert.throws(() => p.ws.close(999), { name: 'TypeError', message: 'First argument must be a valid error code number' });
      assert.throws(() => p.ws.close(1000, 'x'.repeat(124)), { name: 'RangeError', message: 'The message must not be greater than 123 bytes' });
      assert.throws(() => p.ws.ping(Buffer.alloc(126)), { name: 'RangeError', message: 'The data size must not be greater than 125 bytes' });
      assert.equal(p.ws.readyState, 1, 'still open');
    });

    test('after close(), a send grows bufferedAmount and its callback gets the CLOSING error', async () => {
      const p = await pair(impl);
      open.push(p);
      p.ws.close();
      const before = p.ws.bufferedAmount;
      const err = await within(new Promise((r) => p.ws.send('late', r)), 'send callback');
      assert.equal(p.ws.bufferedAmount - before, 4);
      assert.equal(err.message, 'WebSocket is not open: readyState 2 (CLOSING)');
    });
  });
}
