// createWebSocketStream, side by side with ws 8: data flow, backpressure,
// options, and where the function is exported. Every scenario runs against
// both implementations (stream-impls.mjs; the server is the same
// implementation as the client) and must have the same outcome, and ws's
// outcome is also checked against the expected one so that a scenario which
// stopped exercising anything would show. Errors, ending and destroying are
// in stream-lifecycle.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { client, connection, listen, next, parity, shutdown } from './stream-impls.mjs';

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
