// The event objects of the browser-style API (onopen, addEventListener...)
// as a program sees them, side by side with ws 8: their class names, their
// properties (read-only accessors of the prototype, listed by for...in, not
// own properties), and what each event carries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parity, pair, listen, next, closed, settle, until } from './api-pair.mjs';
import { rawPeer } from './raw-peer.mjs';

/** What a program can see of an event object. */
function shape(ev) {
  const inherited = [];
  for (const k in ev) inherited.push(k);
  return { name: ev.constructor.name, own: Object.keys(ev), forIn: inherited.sort(), json: JSON.stringify(ev) };
}

test('open, message and close events: their classes and properties', async () => {
  await parity(async (impl) => {
    const wss = await listen(impl);
    wss.on('connection', (s) => {
      s.send('hello');
      s.send(Buffer.from('bytes'));
      s.close(4321, 'reason');
    });
    const ws = new impl.WebSocket(`ws://127.0.0.1:${wss.address().port}`);
    const seen = [];
    ws.onopen = (e) => seen.push({ ...shape(e), type: e.type, target: e.target === ws });
    ws.onmessage = (e) => seen.push({ ...shape(e), type: e.type, target: e.target === ws, data: String(e.data) });
    ws.onclose = (e) => seen.push({ ...shape(e), type: e.type, target: e.target === ws, code: e.code, reason: e.reason, wasClean: e.wasClean });
    await closed(ws);
    wss.close();
    return seen;
  });
});

test('event properties are read-only', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const seen = [];
    p.client.addEventListener('message', (e) => {
      try { e.data = 'changed'; } catch (err) { seen.push(err.constructor.name); }
      try { e.type = 'changed'; } catch (err) { seen.push(err.constructor.name); }
      seen.push(e.data, e.type);
    });
    p.server.send('original');
    await next(p.client, 'message');
    await p.done();
    return seen;
  }, ['TypeError', 'TypeError', 'original', 'message']);
});

test('an error event: ErrorEvent with error and message, then a CloseEvent that was not clean', async () => {
  await parity(async (impl) => {
    const wss = await listen(impl);
    // A server-side connection that gets a reserved opcode from a raw peer.
    const seen = [];
    const done = new Promise((resolve) => {
      wss.on('connection', (ws) => {
        ws.onerror = (e) => seen.push({ ...shape(e), type: e.type, target: e.target === ws, message: e.message, error: e.error instanceof Error, same: e.message === e.error.message });
        ws.addEventListener('close', (e) => {
          seen.push({ type: e.type, code: e.code, wasClean: e.wasClean });
          resolve();
        });
      });
    });
    const sock = rawPeer(wss.address().port, Buffer.from([0x83, 0x80, 0, 0, 0, 0]), () => {});
    await done;
    sock.destroy();
    wss.close();
    return seen;
  });
});

test('a close without a close frame: code 1006, empty reason, not clean; listener objects get the same event', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const seen = [];
    const obj = { handleEvent(e) { seen.push(['object', this === obj, e.code, e.reason, e.wasClean]); } };
    p.client.addEventListener('close', obj);
    p.client.addEventListener('close', (e) => seen.push(['function', e.code, e.reason, e.wasClean]));
    p.server.terminate();
    await closed(p.client);
    await settle(10);
    await p.done();
    return seen;
  }, [['object', true, 1006, '', false], ['function', 1006, '', false]]);
});

test('listeners of the browser API run among the EventEmitter listeners in the order they were added', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const order = [];
    p.client.on('message', () => order.push('on 1'));
    p.client.onmessage = () => order.push('onmessage');
    p.client.addEventListener('message', () => order.push('addEventListener'));
    p.client.on('message', () => order.push('on 2'));
    p.server.send('x');
    await next(p.client, 'message');
    await settle(10);
    await p.done();
    return order;
  }, ['on 1', 'onmessage', 'addEventListener', 'on 2']);
});

test('addEventListener for ping, pong, upgrade or drain: never called, even when those events happen', async () => {
  await parity(async (impl) => {
    const wss = await listen(impl);
    wss.on('connection', (s) => s.ping('p'));
    const ws = new impl.WebSocket(`ws://127.0.0.1:${wss.address().port}`);
    const calls = [];
    for (const type of ['ping', 'pong', 'upgrade', 'drain', 'redirect']) ws.addEventListener(type, () => calls.push(type));
    ws.onping = () => calls.push('onping');
    const emitted = [];
    ws.on('ping', () => emitted.push('ping'));
    ws.on('pong', () => emitted.push('pong'));
    await next(ws, 'open');
    ws.ping();
    await until(() => emitted.length === 2, 'a ping and a pong');
    ws.terminate();
    wss.close();
    return { calls, emitted: emitted.sort() };
  }, { calls: [], emitted: ['ping', 'pong'] });
});
