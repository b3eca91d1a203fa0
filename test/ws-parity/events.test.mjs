// The browser-style event API (addEventListener, on<type>), side by side with
// ws 8: each rule runs against both implementations and must give the same
// outcome, which is also checked against the expected one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { impls, listen, next, shutdown } from './stream-impls.mjs';

/** Runs `scenario(ws, impl)` on an open client of each implementation; outcomes must match. */
async function parity(scenario, expected) {
  const outcomes = {};
  for (const impl of impls) {
    const wss = await listen(impl);
    const ws = new impl.WebSocket(`ws://127.0.0.1:${wss.address().port}`);
    await next(ws, 'open');
    try {
      outcomes[impl.name] = await scenario(ws, impl, wss);
    } finally {
      ws.terminate();
      await shutdown(wss);
    }
  }
  assert.deepEqual(outcomes.ws, expected, 'ws behaves as this scenario expects');
  assert.deepEqual(outcomes.ours, outcomes.ws, 'ours behaves as ws does');
}

/** Emits a text 'message' the way the WebSocket does (its EventEmitter event). */
const message = (ws, text) => ws.emit('message', Buffer.from(text), false);

test('onmessage and addEventListener with the same function are two registrations: it runs twice', async () => {
  await parity(
    (ws) => {
      const calls = [];
      const f = (e) => calls.push(e.data);
      ws.onmessage = f;
      ws.addEventListener('message', f);
      message(ws, 'a');
      return { calls, listeners: ws.listenerCount('message') };
    },
    { calls: ['a', 'a'], listeners: 2 },
  );
});

test('onmessage = null removes only the handler; removeEventListener removes only the added listener', async () => {
  await parity(
    (ws) => {
      const calls = [];
      const f = (e) => calls.push(e.data);
      ws.onmessage = f;
      ws.addEventListener('message', f);
      ws.onmessage = null;
      message(ws, 'after null');
      ws.onmessage = f;
      ws.removeEventListener('message', f);
      message(ws, 'after remove');
      const handlerKept = ws.onmessage === f;
      ws.removeEventListener('message', f); // nothing left to remove: the handler stays
      message(ws, 'after second remove');
      return { calls, handlerKept, listeners: ws.listenerCount('message') };
    },
    { calls: ['after null', 'after remove', 'after second remove'], handlerKept: true, listeners: 1 },
  );
});

test('the on<type> getters return the handler; null by default; a non-function clears it', async () => {
  await parity(
    (ws) => {
      const f = () => {};
      const out = { defaults: [ws.onopen, ws.onmessage, ws.onclose, ws.onerror] };
      ws.onclose = f;
      out.set = ws.onclose === f;
      ws.onclose = 'not a function';
      out.afterString = ws.onclose;
      out.listeners = ws.listenerCount('close');
      ws.onerror = f;
      ws.onerror = { handleEvent() {} };
      out.afterObject = ws.onerror;
      return out;
    },
    { defaults: [null, null, null, null], set: true, afterString: null, listeners: 0, afterObject: null },
  );
});

test('setting a handler again replaces it; it runs once', async () => {
  await parity(
    (ws) => {
      const calls = [];
      ws.onmessage = (e) => calls.push(`first ${e.data}`);
      ws.onmessage = (e) => calls.push(`second ${e.data}`);
      message(ws, 'x');
      return { calls, listeners: ws.listenerCount('message') };
    },
    { calls: ['second x'], listeners: 1 },
  );
});

test('addEventListener with the same function twice registers it once, whatever the options', async () => {
  await parity(
    (ws) => {
      const calls = [];
      const f = (e) => calls.push(e.data);
      ws.addEventListener('message', f);
      ws.addEventListener('message', f);
      ws.addEventListener('message', f, { once: true });
      message(ws, 'a');
      message(ws, 'b');
      return { calls, listeners: ws.listenerCount('message') };
    },
    { calls: ['a', 'b'], listeners: 1 },
  );
});

test('{ once: true } runs the listener once, after which it can be added again; removing it before it ran works', async () => {
  await parity(
    (ws) => {
      const calls = [];
      const f = (e) => calls.push(`f ${e.data}`);
      const g = (e) => calls.push(`g ${e.data}`);
      ws.addEventListener('message', f, { once: true });
      ws.addEventListener('message', g, { once: true });
      ws.removeEventListener('message', g);
      message(ws, 'a');
      message(ws, 'b');
      ws.addEventListener('message', f, { once: true });
      message(ws, 'c');
      message(ws, 'd');
      return { calls, listeners: ws.listenerCount('message') };
    },
    { calls: ['f a', 'f c'], listeners: 0 },
  );
});

test('listeners are called with this = the WebSocket (handleEvent: the object) and an event whose target is the WebSocket', async () => {
  await parity(
    (ws) => {
      const seen = [];
      ws.onopen = function (e) {
        seen.push(['handler', this === ws, e.type, e.target === ws]);
      };
      ws.addEventListener('open', function (e) {
        seen.push(['function', this === ws, e.type, e.target === ws]);
      });
      const obj = {
        handleEvent(e) {
          seen.push(['object', this === obj, e.type, e.target === ws]);
        },
      };
      ws.addEventListener('open', obj);
      ws.emit('open');
      ws.removeEventListener('open', obj);
      ws.emit('open');
      return seen;
    },
    [
      ['handler', true, 'open', true],
      ['function', true, 'open', true],
      ['object', true, 'open', true],
      ['handler', true, 'open', true],
      ['function', true, 'open', true],
    ],
  );
});

test('types the browser API does not have are not registered', async () => {
  await parity(
    (ws) => {
      ws.addEventListener('ping', () => {});
      ws.addEventListener('custom', () => {});
      return [ws.listenerCount('ping'), ws.listenerCount('custom')];
    },
    [0, 0],
  );
});

test('message and close events carry what the browser API gives: text as a string, binary per binaryType, code, reason, wasClean', async () => {
  await parity(
    async (ws, impl, wss) => {
      const seen = [];
      ws.onmessage = (e) => seen.push(['message', typeof e.data === 'string' ? e.data : `${e.data.constructor.name} ${Buffer.from(e.data)}`]);
      const closed = new Promise((resolve) => {
        ws.addEventListener('close', (e) => {
          seen.push(['close', e.code, e.reason, e.wasClean]);
          resolve();
        });
      });
      const [server] = [...wss.clients];
      const twoMessages = new Promise((resolve) => {
        let n = 0;
        ws.on('message', () => ++n === 2 && resolve());
      });
      server.send('text');
      server.send(Buffer.from('binary'));
      await twoMessages;
      ws.binaryType = 'arraybuffer';
      server.send(Buffer.from('array'));
      await next(ws, 'message');
      server.close(4001, 'done');
      await closed;
      return seen;
    },
    [
      ['message', 'text'],
      ['message', 'Buffer binary'],
      ['message', 'ArrayBuffer array'],
      ['close', 4001, 'done', true],
    ],
  );
});
