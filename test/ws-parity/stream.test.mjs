// createWebSocketStream, side by side with ws 8: every scenario runs against
// both implementations (stream-impls.mjs; the server is the same
// implementation as the client) and must have the same outcome, and ws's
// outcome is also checked against the expected one so that a scenario which
// stopped exercising anything would show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { impls, listen, next, shutdown } from './stream-impls.mjs';

/** Runs `scenario(impl)` for ws and ours; their outcomes must be equal (and ws's, `expected`). */
async function parity(scenario, expected) {
  const outcomes = {};
  for (const impl of impls) outcomes[impl.name] = await scenario(impl);
  if (expected !== undefined) assert.deepEqual(outcomes.ws, expected, 'ws behaves as this scenario expects');
  assert.deepEqual(outcomes.ours, outcomes.ws, 'ours behaves as ws does');
  return outcomes;
}

/** A client WebSocket of `impl` to `wss`, wrapped in a stream, with its events logged in order. */
function client(impl, wss, options) {
  const ws = new impl.WebSocket(`ws://127.0.0.1:${wss.address().port}`);
  const stream = impl.createWebSocketStream(ws, options);
  const log = [];
  ws.on('error', (err) => log.push(`ws error: ${err.message}`));
  ws.on('close', (code, reason) => log.push(`ws close ${code}${reason.length > 0 ? ` ${reason}` : ''}`));
  stream.on('data', (chunk) => log.push(`data ${chunk}`));
  stream.on('end', () => log.push('end'));
  stream.on('finish', () => log.push(`finish (readyState ${ws.readyState})`));
  stream.on('error', (err) => log.push(`error: ${err.message}`));
  stream.on('close', () => log.push('close'));
  return { ws, stream, log };
}

/** Lets events already on their way (next ticks, immediates) be emitted. */
async function settle() {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** The next server-side connection of `wss`. */
const connection = (wss) => next(wss, 'connection').then(([ws]) => ws);

// ---------------------------------------------------------------- data flow

test('echo through pipeline(): every chunk goes out as a message and comes back, then the stream ends', async () => {
  const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(1 + i * 97, i));
  const expected = Buffer.concat(chunks);
  await parity(
    async (impl) => {
      const wss = await listen(impl);
      wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
      const ws = new impl.WebSocket(`ws://127.0.0.1:${wss.address().port}`);
      const received = [];
      const sink = new Writable({
        write(chunk, _enc, cb) {
          received.push(chunk);
          cb();
        },
      });
      await pipeline(Readable.from(chunks), impl.createWebSocketStream(ws), sink);
      await shutdown(wss);
      const all = Buffer.concat(received);
      return { messages: received.length, bytes: all.length, same: all.equals(expected), readyState: ws.readyState };
    },
    { messages: 40, bytes: expected.length, same: true, readyState: 3 },
  );
});

test('a server-side stream reads what a client sent, in order, and ends when the client closes', async () => {
  await parity(
    async (impl) => {
      const wss = await listen(impl);
      const accepted = connection(wss);
      const ws = new impl.WebSocket(`ws://127.0.0.1:${wss.address().port}`);
      await next(ws, 'open');
      const stream = impl.createWebSocketStream(await accepted);
      for (let i = 0; i < 20; i++) ws.send(i % 2 === 0 ? `text ${i}` : Buffer.from(`binary ${i}`));
      ws.close(1000);
      const received = [];
      await pipeline(
        stream,
        new Writable({
          write(chunk, _enc, cb) {
            received.push(String(chunk));
            cb();
          },
        }),
      );
      await shutdown(wss);
      return received;
    },
    Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? `text ${i}` : `binary ${i}`)),
  );
});

test('backpressure: a reader that stops pauses the WebSocket, memory stays bounded, and everything arrives once it reads again', async () => {
  const COUNT = 256;
  const SIZE = 64 * 1024; // 16 MiB in all
  await parity(async (impl) => {
    const wss = await listen(impl);
    const accepted = connection(wss);
    const ws = new impl.WebSocket(`ws://127.0.0.1:${wss.address().port}`);
    const stream = impl.createWebSocketStream(ws, { highWaterMark: 16 * 1024 });
    await next(ws, 'open');
    const server = await accepted;
    for (let i = 0; i < COUNT; i++) server.send(Buffer.alloc(SIZE, i % 256));
    // The stream is not read. Wait (bounded) until its buffer is full and
    // then until the server's queue stops shrinking: the client stopped
    // taking bytes, with the server still holding most of what it sent.
    const tick = () => new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 250 && stream.readableLength < 16 * 1024; i++) await tick();
    for (let i = 0, last = -1, stable = 0; i < 500 && stable < 10; i++) {
      await tick();
      stable = server.bufferedAmount === last ? stable + 1 : 0;
      last = server.bufferedAmount;
    }
    const held = server.bufferedAmount;
    const paused = ws.isPaused;
    const buffered = stream.readableLength;
    // Now read everything.
    let n = 0;
    let inOrder = true;
    await new Promise((resolve) => {
      stream.on('data', (chunk) => {
        if (chunk.length !== SIZE || chunk[0] !== n % 256) inOrder = false;
        if (++n === COUNT) resolve();
      });
    });
    const resumed = !ws.isPaused;
    ws.close();
    await next(stream, 'end');
    await shutdown(wss);
    return {
      serverHeldBytes: held >= 2 * 1024 * 1024,
      paused,
      // What the stream buffered while paused: at least its high-water mark,
      // far below what the server sent.
      boundedBuffer: buffered >= 16 * 1024 && buffered <= 1024 * 1024,
      received: n,
      inOrder,
      resumed,
    };
  }, { serverHeldBytes: true, paused: true, boundedBuffer: true, received: COUNT, inOrder: true, resumed: true });
});

test('backpressure on the writable side: each write waits for the previous one to be handed to the kernel', async () => {
  const COUNT = 256;
  const SIZE = 64 * 1024; // 16 MiB in all
  await parity(async (impl) => {
    const wss = await listen(impl);
    const accepted = connection(wss);
    const ws = new impl.WebSocket(`ws://127.0.0.1:${wss.address().port}`);
    const stream = impl.createWebSocketStream(ws);
    await next(ws, 'open');
    const server = await accepted;
    server.pause(); // the peer stops reading
    let refused = false;
    for (let i = 0; i < COUNT; i++) if (!stream.write(Buffer.alloc(SIZE, i % 256))) refused = true;
    // Wait (bounded) until the client's bytes stop moving.
    const tick = () => new Promise((r) => setTimeout(r, 20));
    for (let i = 0, last = -1, stable = 0; i < 500 && stable < 10; i++) {
      await tick();
      stable = stream.writableLength === last ? stable + 1 : 0;
      last = stream.writableLength;
    }
    const heldByStream = stream.writableLength;
    const heldBySocket = ws.bufferedAmount;
    let n = 0;
    let inOrder = true;
    const all = new Promise((resolve) => {
      server.on('message', (data) => {
        if (data.length !== SIZE || data[0] !== n % 256) inOrder = false;
        if (++n === COUNT) resolve();
      });
    });
    const drained = next(stream, 'drain');
    server.resume();
    await all;
    await drained;
    stream.destroy();
    await next(stream, 'close');
    await shutdown(wss);
    return {
      refused,
      // Most of the data waits in the stream, not in the WebSocket.
      streamHeldMost: heldByStream >= 4 * 1024 * 1024,
      socketBounded: heldBySocket <= 1024 * 1024,
      received: n,
      inOrder,
    };
  }, { refused: true, streamHeldMost: true, socketBounded: true, received: COUNT, inOrder: true });
});

test('object modes: readableObjectMode gives text messages as strings; objectMode and writableObjectMode are off, as in ws', async () => {
  const variants = [undefined, { objectMode: true }, { readableObjectMode: true }, { writableObjectMode: true }, { encoding: 'utf8' }];
  await parity(
    async (impl) => {
      const wss = await listen(impl);
      wss.on('connection', (ws) => {
        ws.send('hello');
        ws.send(Buffer.from('bin'));
      });
      const out = [];
      for (const options of variants) {
        const ws = new impl.WebSocket(`ws://127.0.0.1:${wss.address().port}`);
        const stream = impl.createWebSocketStream(ws, options);
        const chunks = [];
        stream.on('data', (c) => chunks.push(`${Buffer.isBuffer(c) ? 'Buffer' : typeof c}:${c}`));
        let write42;
        try {
          stream.write(42);
          write42 = 'accepted';
        } catch (err) {
          write42 = err.code;
        }
        for (let i = 0; i < 100 && chunks.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
        out.push({
          options: JSON.stringify(options),
          readableObjectMode: stream.readableObjectMode,
          writableObjectMode: stream.writableObjectMode,
          readableHighWaterMark: stream.readableHighWaterMark,
          chunks,
          write42,
        });
        stream.destroy();
        await next(stream, 'close');
      }
      await shutdown(wss);
      return out;
    },
    [
      { options: undefined, readableObjectMode: false, writableObjectMode: false, readableHighWaterMark: 16384, chunks: ['Buffer:hello', 'Buffer:bin'], write42: 'ERR_INVALID_ARG_TYPE' },
      { options: '{"objectMode":true}', readableObjectMode: false, writableObjectMode: false, readableHighWaterMark: 16384, chunks: ['Buffer:hello', 'Buffer:bin'], write42: 'ERR_INVALID_ARG_TYPE' },
      { options: '{"readableObjectMode":true}', readableObjectMode: true, writableObjectMode: false, readableHighWaterMark: 16, chunks: ['string:hello', 'Buffer:bin'], write42: 'ERR_INVALID_ARG_TYPE' },
      { options: '{"writableObjectMode":true}', readableObjectMode: false, writableObjectMode: false, readableHighWaterMark: 16384, chunks: ['Buffer:hello', 'Buffer:bin'], write42: 'ERR_INVALID_ARG_TYPE' },
      { options: '{"encoding":"utf8"}', readableObjectMode: false, writableObjectMode: false, readableHighWaterMark: 16384, chunks: ['string:hello', 'string:bin'], write42: 'ERR_INVALID_ARG_TYPE' },
    ],
  );
});

test('writes made while CONNECTING wait for open and go out in order, as binary messages', async () => {
  await parity(
    async (impl) => {
      const wss = await listen(impl);
      const received = [];
      const done = new Promise((resolve) => {
        wss.on('connection', (ws) => {
          ws.on('message', (data, isBinary) => received.push(`${isBinary ? 'binary' : 'text'} ${data}`));
          ws.on('close', resolve);
        });
      });
      const { ws, stream, log } = client(impl, wss);
      const state = ws.readyState;
      stream.write('one');
      stream.write(Buffer.from('two'));
      stream.end('three');
      stream.resume();
      const closed = next(stream, 'close');
      await done;
      await closed;
      await shutdown(wss);
      return { writtenWhile: state, received, log };
    },
    {
      writtenWhile: 0,
      received: ['binary one', 'binary two', 'binary three'],
      log: ['finish (readyState 2)', 'ws close 1005', 'end', 'close'],
    },
  );
});

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

// ---------------------------------------------------------------- the export

test("createWebSocketStream is where ws has it: a named export, and a property of require()'s class", async () => {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const shape = (mod) => ({ type: typeof mod.createWebSocketStream, onClass: mod.WebSocket.createWebSocketStream === mod.createWebSocketStream });
  const ours = require('ws-node-server');
  assert.deepEqual(shape(ours), shape(require('ws')));
  assert.deepEqual(shape(ours), { type: 'function', onClass: true });
  // The CommonJS function wraps a CommonJS WebSocket.
  const wss = await listen({ WebSocketServer: ours.WebSocketServer });
  wss.on('connection', (ws) => ws.on('message', (data) => ws.send(data)));
  const stream = ours.createWebSocketStream(new ours(`ws://127.0.0.1:${wss.address().port}`));
  stream.write('ping');
  const [chunk] = await next(stream, 'data');
  assert.equal(String(chunk), 'ping');
  stream.destroy();
  await next(stream, 'close');
  await shutdown(wss);
});
