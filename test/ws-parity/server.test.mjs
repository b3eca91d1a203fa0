// handleUpgrade() called twice with the same socket throws ws's error
// instead of writing a second 101 into the upgraded stream.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import WsWebSocket from 'ws';
import { impls, record, types, httpServer, within, pause } from './impls.mjs';

const MESSAGE = 'server.handleUpgrade() was called more than once with the same socket, possibly due to a misconfiguration';
const cleanups = [];
after(async () => { for (const c of cleanups) await c(); });

/** Opens a reference client, exchanges one echo, closes; returns its log. */
async function echoOnce(port) {
  const ws = new WsWebSocket(`ws://127.0.0.1:${port}/`);
  const log = record(ws);
  const echoed = new Promise((resolve) => ws.on('message', (m) => resolve(m.toString())));
  ws.on('open', () => ws.send('ping?'));
  assert.equal(await within(echoed, 'echo'), 'ping?', 'the connection works: one 101, nothing after it');
  ws.close();
  await log.done();
  return log;
}

for (const { name, WebSocketServer } of impls) {
  describe(`handleUpgrade [${name}]`, () => {
    test('a second call with the same socket throws', async () => {
      const wss = new WebSocketServer({ noServer: true });
      const thrown = [];
      const srv = await httpServer(null, (req, socket, head) => {
        wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (m) => ws.send(m.toString())));
        try {
          wss.handleUpgrade(req, socket, head, () => thrown.push('second callback'));
        } catch (err) {
          thrown.push(err);
        }
      });
      cleanups.push(srv.close);
      const log = await echoOnce(srv.port);
      assert.deepEqual(types(log), ['upgrade', 'open', 'close']);
      assert.equal(thrown.length, 1);
      assert.ok(thrown[0] instanceof Error);
      assert.equal(thrown[0].message, MESSAGE);
    });

    test('{ server } plus an own upgrade listener calling handleUpgrade: the own call throws', async () => {
      const thrown = [];
      let connections = 0;
      const srv = await httpServer(null, null);
      cleanups.push(srv.close);
      const wss = new WebSocketServer({ server: srv.server });
      wss.on('connection', (ws) => { connections++; ws.on('message', (m) => ws.send(m.toString())); });
      srv.server.on('upgrade', (req, socket, head) => {
        try {
          wss.handleUpgrade(req, socket, head, () => thrown.push('second callback'));
        } catch (err) {
          thrown.push(err);
        }
      });
      await echoOnce(srv.port);
      await pause(20);
      assert.equal(connections, 1);
      assert.equal(thrown.length, 1);
      assert.equal(thrown[0].message, MESSAGE);
      wss.close();
    });
  });
}
