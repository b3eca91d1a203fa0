// createWebSocketStream, side by side with ws 8: errors, ending and
// destroying, as the order of the events an application sees (the stream's
// and the client WebSocket's). Each scenario runs against both
// implementations and must give the same log (see stream.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { client, connection, impls, listen, next, parity, settle, shutdown } from './stream-impls.mjs';

// ---------------------------------------------------------------- errors

/** A raw TCP server that accepts any upgrade and then sends `bytes`. */
function rawServer(bytes) {
  return new Promise((resolve) => {
    const server = createServer((socket) => {
      socket.on('error', () => {});
      let head = '';
      socket.on('data', (chunk) => {
        if (head.includes('\r\n\r\n')) return;
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        const key = /sec-websocket-key: *(\S+)/i.exec(head)[1];
        const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
        socket.write(bytes);
      });
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

test("an 'error' on the WebSocket destroys the stream with that error; the stream's 'close' follows the WebSocket's", async () => {
  await parity(
    async (impl) => {
      // Opcode 0x3 is reserved (RFC 6455 §5.2): the client fails the connection.
      const server = await rawServer(Buffer.from([0x83, 0x00]));
      const ws = new impl.WebSocket(`ws://127.0.0.1:${server.address().port}`);
      const stream = impl.createWebSocketStream(ws);
      const log = [];
      let wsError;
      ws.on('error', (err) => {
        wsError = err;
        log.push('ws error');
      });
      ws.on('close', () => log.push('ws close'));
      let streamError;
      stream.on('error', (err) => {
        streamError = err;
        log.push('error');
      });
      stream.on('close', () => log.push('close'));
      stream.resume();
      await next(stream, 'close');
      server.close();
      return { log, sameError: streamError === wsError, destroyed: stream.destroyed };
    },
    { log: ['ws error', 'ws close', 'error', 'close'], sameError: true, destroyed: true },
  );
});

test("a write after the WebSocket closed fails the stream with the send's error", async () => {
  await parity(
    async (impl) => {
      const wss = await listen(impl);
      wss.on('connection', (ws) => ws.close(4000, 'bye'));
      const { stream, log } = client(impl, wss);
      stream.resume();
      await next(stream, 'end');
      stream.write('late');
      await next(stream, 'close');
      await shutdown(wss);
      return log;
    },
    ['ws close 4000 bye', 'end', 'error: WebSocket is not open: readyState 3 (CLOSED)', 'close'],
  );
});

test('a write after end() is an error of the stream, emitted before the WebSocket is torn down', async () => {
  await parity(
    async (impl) => {
      const wss = await listen(impl);
      const { stream, log } = client(impl, wss);
      stream.end();
      stream.write('x', (err) => log.push(`write callback: ${err?.code}`));
      await next(stream, 'close');
      await shutdown(wss);
      return log;
    },
    [
      'write callback: ERR_STREAM_WRITE_AFTER_END',
      'error: write after end',
      'ws error: WebSocket was closed before the connection was established',
      'ws close 1006',
      'close',
    ],
  );
});

// ---------------------------------------------------------------- end and close

test('end() closes the WebSocket: finish when our side is done, then the close, then end and close of the stream', async () => {
  await parity(
    async (impl) => {
      const wss = await listen(impl);
      const closed = connection(wss).then((s) => next(s, 'close'));
      const { ws, stream, log } = client(impl, wss);
      await next(ws, 'open');
      stream.resume();
      stream.end();
      await next(stream, 'close');
      const [code] = await closed;
      await shutdown(wss);
      return { log, serverSaw: code };
    },
    { log: ['finish (readyState 2)', 'ws close 1005', 'end', 'close'], serverSaw: 1005 },
  );
});

test("the peer's close ends the readable side; the stream closes once it is ended too (allowHalfOpen)", async () => {
  await parity(
    async (impl) => {
      const wss = await listen(impl);
      wss.on('connection', (ws) => {
        ws.send('last');
        ws.close(4000, 'bye');
      });
      const { stream, log } = client(impl, wss);
      stream.resume();
      await next(stream, 'end');
      await settle();
      const beforeEnd = { log: [...log], destroyed: stream.destroyed };
      stream.end();
      await next(stream, 'close');
      await shutdown(wss);
      return { beforeEnd, log };
    },
    {
      beforeEnd: { log: ['data last', 'ws close 4000 bye', 'end'], destroyed: false },
      log: ['data last', 'ws close 4000 bye', 'end', 'finish (readyState 3)', 'close'],
    },
  );
});

test("with allowHalfOpen: false the peer's close ends, finishes and closes the stream", async () => {
  await parity(
    async (impl) => {
      const wss = await listen(impl);
      wss.on('connection', (ws) => ws.terminate());
      const { stream, log } = client(impl, wss, { allowHalfOpen: false });
      stream.resume();
      await next(stream, 'close');
      await shutdown(wss);
      return log;
    },
    ['ws close 1006', 'end', 'finish (readyState 3)', 'close'],
  );
});

// ---------------------------------------------------------------- destroy

test('destroy() terminates an open WebSocket; the stream closes after it', async () => {
  await parity(
    async (impl) => {
      const wss = await listen(impl);
      const closed = connection(wss).then((s) => next(s, 'close'));
      const { ws, stream, log } = client(impl, wss);
      await next(ws, 'open');
      stream.destroy();
      await next(stream, 'close');
      const [code] = await closed;
      await shutdown(wss);
      return { log, serverSaw: code };
    },
    { log: ['ws close 1006', 'close'], serverSaw: 1006 },
  );
});

test('destroy(err) reports err after the WebSocket closed, then closes', async () => {
  await parity(
    async (impl) => {
      const wss = await listen(impl);
      const { ws, stream, log } = client(impl, wss);
      await next(ws, 'open');
      const boom = new Error('boom');
      let same = false;
      stream.on('error', (err) => (same = err === boom));
      stream.destroy(boom);
      await next(stream, 'close');
      await shutdown(wss);
      return { log, same };
    },
    { log: ['ws close 1006', 'error: boom', 'close'], same: true },
  );
});

test("destroy() while CONNECTING aborts the handshake; the WebSocket's error is the stream's", async () => {
  await parity(
    async (impl) => {
      const wss = await listen(impl);
      const { stream, log } = client(impl, wss);
      stream.destroy();
      await next(stream, 'close');
      await shutdown(wss);
      return log;
    },
    [
      'ws error: WebSocket was closed before the connection was established',
      'ws close 1006',
      'error: WebSocket was closed before the connection was established',
      'close',
    ],
  );
});

test('destroy() after the WebSocket closed just closes the stream', async () => {
  await parity(
    async (impl) => {
      const wss = await listen(impl);
      wss.on('connection', (ws) => ws.close());
      const { ws, stream, log } = client(impl, wss);
      await next(ws, 'close');
      stream.destroy();
      await next(stream, 'close');
      await shutdown(wss);
      return log;
    },
    ['ws close 1005', 'end', 'close'],
  );
});

// Where this package differs from ws on purpose: ws rethrows a WebSocket's
// error from a stream without an 'error' listener, so a peer's malformed
// frame takes the process down. Here, as with the WebSocket itself, input
// from the network never crashes the process.
test("ours: a WebSocket's error destroys a stream that has no 'error' listener without throwing", async () => {
  const ours = impls.find((i) => i.name === 'ours');
  const server = await rawServer(Buffer.from([0x83, 0x00]));
  const ws = new ours.WebSocket(`ws://127.0.0.1:${server.address().port}`);
  const stream = ours.createWebSocketStream(ws);
  stream.resume();
  const uncaught = [];
  const onUncaught = (err) => uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  try {
    await next(stream, 'close');
  } finally {
    process.removeListener('uncaughtException', onUncaught);
    server.close();
  }
  assert.deepEqual(uncaught, []);
  assert.equal(stream.destroyed, true);
  assert.equal(stream.errored?.code, 'WS_ERR_INVALID_OPCODE');
});

test("ours: destroy() while CONNECTING, with no 'error' listener, does not throw", async () => {
  const ours = impls.find((i) => i.name === 'ours');
  const wss = await listen(ours);
  const stream = ours.createWebSocketStream(new ours.WebSocket(`ws://127.0.0.1:${wss.address().port}`));
  const uncaught = [];
  const onUncaught = (err) => uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  try {
    stream.destroy();
    await next(stream, 'close');
  } finally {
    process.removeListener('uncaughtException', onUncaught);
    await shutdown(wss);
  }
  assert.deepEqual(uncaught, []);
  assert.equal(stream.errored?.message, 'WebSocket was closed before the connection was established');
});
