// WebSocketServer#close() as in ws 8: open connections are not closed,
// 'close' waits for them (with clientTracking) and comes after their own
// 'close' listeners, a second close() after 'close' reports "The server is
// not running", an upgrade after close() gets 503, the own http server is
// closed and a given one is not.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { impls, httpServer, within, pause } from './impls.mjs';
import { exchange, upgradeRequest } from './server-http.mjs';

const cleanups = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

/** A client of `impl` connected to `port`, and the server side of it. */
async function connect(WebSocket, wss, port) {
  const serverSide = new Promise((r) => wss.once('connection', r));
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  client.on('error', () => {});
  await within(new Promise((r) => client.once('open', r)), 'open');
  return { client, ws: await within(serverSide, 'connection') };
}

for (const { name, WebSocketServer, WebSocket } of impls) {
  describe(`WebSocketServer#close [${name}]`, () => {
    test("server mode: connections stay open; 'close' comes after the last one's close listeners", async () => {
      const srv = await httpServer();
      cleanups.push(srv.close);
      const wss = new WebSocketServer({ server: srv.server });
      const { client, ws } = await connect(WebSocket, wss, srv.port);
      const order = [];
      ws.on('close', () => order.push('ws close'));
      ws.on('message', (m) => ws.send(m.toString()));
      wss.close((...args) => order.push(`wss close callback ${args.length}`));
      wss.on('close', () => order.push('wss close'));
      await pause(20);
      assert.deepEqual(order, [], 'nothing closed yet');
      assert.equal(wss.address(), null, 'address() is null once closed');
      assert.equal(srv.server.listening, true, 'a given http server is not closed');
      const echoed = new Promise((r) => client.once('message', (m) => r(m.toString())));
      client.send('still open');
      assert.equal(await within(echoed, 'echo'), 'still open');
      client.close();
      await within(new Promise((r) => wss.once('close', r)), "'close'");
      assert.deepEqual(order, ['ws close', 'wss close callback 0', 'wss close']);
    });

    test("noServer without connections, and clientTracking false: 'close' on a later tick", async () => {
      for (const options of [{ noServer: true }, { noServer: true, clientTracking: false }]) {
        const wss = new WebSocketServer(options);
        let closed = 0;
        wss.on('close', () => closed++);
        wss.close();
        assert.equal(closed, 0, 'not synchronously');
        await within(new Promise((r) => wss.once('close', r)), "'close'");
        await pause(5);
        assert.equal(closed, 1);
      }
    });

    test("clientTracking false: 'close' does not wait for open connections", async () => {
      const srv = await httpServer();
      cleanups.push(srv.close);
      const wss = new WebSocketServer({ server: srv.server, clientTracking: false });
      const { client } = await connect(WebSocket, wss, srv.port);
      await within(new Promise((r) => wss.close(r)), "'close'");
      assert.equal(client.readyState, WebSocket.OPEN);
      client.terminate();
    });

    test('close() twice: both callbacks once closed; after close, an error "The server is not running"', async () => {
      const wss = new WebSocketServer({ noServer: true });
      const results = [];
      wss.close((err) => results.push(['first', err]));
      wss.close((err) => results.push(['second', err]));
      await within(new Promise((r) => wss.once('close', r)), "'close'");
      await pause(5);
      assert.deepEqual(results, [['first', undefined], ['second', undefined]]);
      let closes = 0;
      wss.on('close', () => closes++);
      const third = await within(new Promise((r) => wss.close(r)), 'the third callback');
      assert.ok(third instanceof Error);
      assert.equal(third.message, 'The server is not running');
      assert.equal(closes, 1, "'close' is emitted again");
    });

    test('handleUpgrade after close() answers 503, after verifyClient', async () => {
      let verified = 0;
      const wss = new WebSocketServer({ noServer: true, verifyClient: () => ++verified > 0 });
      const srv = await httpServer(null, (req, socket, head) => wss.handleUpgrade(req, socket, head, () => assert.fail('no connection')));
      cleanups.push(srv.close);
      wss.close();
      const res = await exchange(srv.port, upgradeRequest());
      assert.equal(res.status, 503);
      assert.equal(res.body, 'Service Unavailable');
      assert.equal(verified, 1);
    });

    test('port mode: the own http server closes (callback after its last connection), address() is null', async () => {
      const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
      await within(new Promise((r) => wss.once('listening', r)), 'listening');
      const port = wss.address().port;
      const { client } = await connect(WebSocket, wss, port);
      const closed = new Promise((r) => wss.close((...args) => r(args)));
      assert.equal(wss.address(), null);
      await pause(20);
      assert.equal(client.readyState, WebSocket.OPEN, 'the open connection is not closed');
      const refused = await within(new Promise((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        s.on('connect', () => { s.destroy(); resolve('connected'); });
        s.on('error', (err) => resolve(err.code));
      }), 'a new TCP connection');
      assert.equal(refused, 'ECONNREFUSED', 'no longer listening');
      client.close();
      assert.deepEqual(await within(closed, 'the close callback'), []);
    });
  });
}
