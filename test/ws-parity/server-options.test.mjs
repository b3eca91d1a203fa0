// The WebSocketServer constructor as ws 8 has it: which option sets are
// refused (and with which error), what `wss.options` holds, the listening
// callback and events, an address already in use, address() in each mode.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { impls, httpServer, within } from './impls.mjs';

const cleanups = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

const MODES = 'One and only one of the "port", "server", or "noServer" options must be specified';

/** ws's defaults, as `wss.options` shows them (`WebSocket` aside). */
const DEFAULTS = {
  allowSynchronousEvents: true,
  autoPong: true,
  maxBufferedChunks: 256 * 1024,
  maxFragments: 16 * 1024,
  maxPayload: 100 * 1024 * 1024,
  maxPendingAutoPongs: 60,
  skipUTF8Validation: false,
  perMessageDeflate: false,
  handleProtocols: null,
  clientTracking: true,
  closeTimeout: 30000,
  verifyClient: null,
  noServer: false,
  backlog: null,
  server: null,
  host: null,
  path: null,
  port: null,
};

const withoutClass = (options) => {
  const { WebSocket: _, ...rest } = options;
  return rest;
};

for (const { name, WebSocketServer, WebSocket } of impls) {
  describe(`WebSocketServer constructor [${name}]`, () => {
    test('none, or more than one, of port/server/noServer: TypeError with ws\'s message', async () => {
      const srv = await httpServer();
      cleanups.push(srv.close);
      const refused = [{}, { port: 0, noServer: true }, { port: 0, server: srv.server }, { server: srv.server, noServer: true }, { noServer: false }, { port: null }, { port: undefined, server: null }];
      for (const options of refused) {
        assert.throws(() => new WebSocketServer(options), (err) => err instanceof TypeError && err.message === MODES, JSON.stringify(Object.keys(options)));
      }
    });

    test('no options object (nothing, null, undefined): the same TypeError', () => {
      for (const args of [[], [null], [undefined]]) {
        assert.throws(() => new WebSocketServer(...args), (err) => err instanceof TypeError && err.message === MODES, `${args.length} argument(s)`);
      }
    });

    test('the WebSocket option: connections are instances of the given subclass', async () => {
      class Custom extends WebSocket {
        get foo() {
          return 'foo';
        }
      }
      const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', WebSocket: Custom });
      await within(new Promise((r) => wss.once('listening', r)), 'listening');
      cleanups.push(() => new Promise((r) => wss.close(() => r())));
      const connected = new Promise((r) => wss.once('connection', r));
      const client = new WebSocket(`ws://127.0.0.1:${wss.address().port}`);
      client.on('error', () => {});
      const ws = await within(connected, 'connection');
      assert.ok(ws instanceof Custom);
      assert.equal(ws.foo, 'foo');
      await within(new Promise((r) => { client.on('close', r); ws.close(); }), 'close');
    });

    test('a null port, a null server or a false noServer does not count as a mode', () => {
      for (const options of [{ noServer: true, port: null }, { noServer: true, server: null }, { noServer: true, port: undefined }]) {
        const wss = new WebSocketServer(options);
        assert.equal(wss.options.noServer, true);
        wss.close();
      }
    });

    test('options: ws\'s defaults under the given options, the WebSocket class included', () => {
      const wss = new WebSocketServer({ noServer: true });
      assert.deepEqual(withoutClass(wss.options), { ...DEFAULTS, noServer: true });
      assert.equal(wss.options.WebSocket, WebSocket);
      assert.deepEqual(Object.keys(wss.options), [...Object.keys(DEFAULTS), 'WebSocket']);
      wss.close();
    });

    test('options: given values are kept as given, perMessageDeflate true becomes {}', () => {
      const handleProtocols = () => false;
      const verifyClient = () => true;
      class Sub extends WebSocket {}
      const given = {
        noServer: true, maxPayload: 10, clientTracking: false, path: '/x', skipUTF8Validation: true,
        autoPong: false, allowSynchronousEvents: false, closeTimeout: 5, handleProtocols, verifyClient, WebSocket: Sub,
        perMessageDeflate: true,
      };
      const wss = new WebSocketServer(given);
      assert.deepEqual(wss.options, { ...DEFAULTS, ...given, perMessageDeflate: {} });
      assert.equal(wss.options.handleProtocols, handleProtocols);
      assert.equal(wss.options.WebSocket, Sub);
      wss.close();
    });

    test("port: the callback and 'listening' run once bound; address() is the bound address", async () => {
      let called = 0;
      const calledBack = new Promise((resolve) => {
        const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' }, function () {
          called++;
          resolve(wss);
        });
        wss.on('listening', () => called++);
      });
      const wss = await within(calledBack, 'the listening callback');
      cleanups.push(() => new Promise((r) => wss.close(() => r())));
      assert.equal(called, 2);
      const address = wss.address();
      assert.equal(address.address, '127.0.0.1');
      assert.equal(typeof address.port, 'number');
      assert.ok(address.port > 0);
    });

    test("port in use: the http server's EADDRINUSE is emitted as 'error' on the WebSocketServer", async () => {
      const taken = await httpServer();
      cleanups.push(taken.close);
      const wss = new WebSocketServer({ port: taken.port, host: '127.0.0.1' });
      const [err] = await within(new Promise((r) => wss.once('error', (...a) => r(a))), "'error'");
      assert.equal(err.code, 'EADDRINUSE');
      // close() still ends in 'close' (and a callback without error), though the server never listened.
      const closed = new Promise((r) => wss.close((...args) => r(args)));
      assert.deepEqual(await within(closed, 'the close callback'), []);
    });

    test("server: 'listening' and 'error' of the given server are re-emitted; address() is the server's", async () => {
      const server = http.createServer();
      const wss = new WebSocketServer({ server });
      assert.equal(wss.address(), null, 'not bound yet');
      const listening = within(new Promise((r) => wss.once('listening', r)), "'listening'");
      server.listen(0, '127.0.0.1');
      await listening;
      cleanups.push(() => new Promise((r) => server.close(() => r())));
      assert.deepEqual(wss.address(), server.address());
      const boom = new Error('boom');
      const errored = new Promise((r) => wss.once('error', r));
      server.emit('error', boom);
      assert.equal(await within(errored, "'error'"), boom);
      wss.close();
    });

    test('noServer: address() throws ws\'s error', () => {
      const wss = new WebSocketServer({ noServer: true });
      assert.throws(() => wss.address(), { message: 'The server is operating in "noServer" mode' });
      wss.close();
    });
  });
}
