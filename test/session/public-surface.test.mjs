// The WebSocket object carries the ws API and nothing else: the protocol
// state machine's callbacks and the socket writer live on separate internal
// objects, so no one can put unframed bytes on the socket or fake a message
// through a WebSocket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { WebSocket, WebSocketServer } from '../../dist/esm/index.js';

/** The public API of ws (doc/ws.md, class WebSocket), plus our sendPrepared, sharedDeflate (its compressed counterpart), droppedMessages and isPaused. */
const PUBLIC = [
  'CLOSED', 'CLOSING', 'CONNECTING', 'OPEN',
  'addEventListener', 'binaryType', 'bufferedAmount', 'close', 'constructor', 'droppedMessages', 'extensions',
  'isPaused', 'onclose', 'onerror', 'onmessage', 'onopen', 'pause', 'ping', 'pong', 'protocol', 'readyState',
  'removeEventListener', 'resume', 'send', 'sendPrepared', 'sharedDeflate', 'terminate', 'url',
].sort();

/** The names the connection core and the socket binding used to hang on the WebSocket. */
const GONE = [
  'write', 'deliverMessage', 'deliverPing', 'deliverPong', 'shutdown',
  '_conn', '_pendingCb', '_flushBatch', '_drained', '_out', '_end', '_finish', '_armCloseTimer', '_emitError',
  '_listenerFailed', '_overLimit', '_control', '_closeTimer', '_corked', '_fresh', '_midFrame', '_inBatch',
];

/** Own and inherited string-named members, down to (not including) EventEmitter's. */
function members(ws) {
  const names = new Set();
  for (let o = ws; o !== null && o !== EventEmitter.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) names.add(name);
  }
  return [...names];
}

test('a WebSocket, server side and client side, has exactly the public members of the ws API', async () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  let client = null;
  try {
    client = new WebSocket(`ws://127.0.0.1:${wss.address().port}`);
    const [server] = await once(wss, 'connection');
    await once(client, 'open');
    for (const [side, ws] of [['server', server], ['client', client]]) {
      assert.ok(ws instanceof EventEmitter);
      const all = members(ws);
      assert.deepEqual(all.filter((n) => !n.startsWith('_')).sort(), PUBLIC, `${side}: public members`);
      for (const name of GONE) assert.equal(name in ws, false, `${side}: no ${name}`);
    }
    // The instance still works through the public API.
    const got = once(client, 'message');
    server.send('still works');
    assert.equal(String((await got)[0]), 'still works');
    client.close();
    await once(client, 'close');
  } finally {
    client?.terminate();
    for (const ws of wss.clients) ws.terminate();
    await new Promise((resolve) => wss.close(resolve));
  }
});

test('a WebSocket before its handshake has the same public members', () => {
  const ws = new WebSocket(null);
  assert.deepEqual(members(ws).filter((n) => !n.startsWith('_')).sort(), PUBLIC);
  for (const name of GONE) assert.equal(name in ws, false, `no ${name}`);
});
