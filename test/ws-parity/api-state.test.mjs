// The WebSocket's properties at each stage of a connection (connecting,
// open, closing, closed) on a client and on a server-side instance, and
// what each binaryType delivers, side by side with ws 8.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parity, pair, listen, next, shutdown, closed, dataKind, settle, until } from './api-pair.mjs';

const props = (ws) => ({
  readyState: ws.readyState,
  bufferedAmount: ws.bufferedAmount,
  protocol: ws.protocol,
  extensions: ws.extensions,
  binaryType: ws.binaryType,
  isPaused: ws.isPaused,
});

test('a client: its properties before open, when open, after close() and after close', async () => {
  await parity(async (impl) => {
    const wss = await listen(impl, { handleProtocols: () => 'chat' });
    const url = `ws://127.0.0.1:${wss.address().port}/path?q=1`;
    const ws = new impl.WebSocket(url, ['chat']);
    const stages = { connecting: { ...props(ws), url: ws.url === url } };
    await next(ws, 'open');
    stages.open = { ...props(ws), url: ws.url === url };
    ws.close(1000, 'bye');
    stages.closing = { ...props(ws), url: ws.url === url };
    await closed(ws);
    stages.closed = { ...props(ws), url: ws.url === url };
    await shutdown(wss);
    return stages;
  }, {
    connecting: { readyState: 0, bufferedAmount: 0, protocol: '', extensions: '', binaryType: 'nodebuffer', isPaused: false, url: true },
    open: { readyState: 1, bufferedAmount: 0, protocol: 'chat', extensions: '', binaryType: 'nodebuffer', isPaused: false, url: true },
    closing: { readyState: 2, bufferedAmount: 0, protocol: 'chat', extensions: '', binaryType: 'nodebuffer', isPaused: false, url: true },
    closed: { readyState: 3, bufferedAmount: 0, protocol: 'chat', extensions: '', binaryType: 'nodebuffer', isPaused: false, url: true },
  });
});

test('a server-side WebSocket: its properties when open, after close() and after close; url is undefined', async () => {
  const stage = (readyState) => ({ readyState, bufferedAmount: 0, protocol: 'chat', extensions: '', binaryType: 'nodebuffer', isPaused: false, url: undefined });
  await parity(async (impl) => {
    const wss = await listen(impl, { handleProtocols: () => 'chat' });
    const connected = next(wss, 'connection');
    const client = new impl.WebSocket(`ws://127.0.0.1:${wss.address().port}`, 'chat');
    const [server] = await connected;
    await next(client, 'open');
    const stages = { open: { ...props(server), url: server.url } };
    server.close(4000, 'x');
    stages.closing = { ...props(server), url: server.url };
    await closed(server);
    stages.closed = { ...props(server), url: server.url };
    await shutdown(wss);
    return stages;
  }, { open: stage(1), closing: stage(2), closed: stage(3) });
});

test('the binaryType setter ignores values it does not know', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const seen = [];
    for (const v of ['arraybuffer', 'bogus', undefined, null, 'NodeBuffer', 'fragments', 'blob', 'nodebuffer']) {
      p.client.binaryType = v;
      seen.push(p.client.binaryType);
    }
    await p.done();
    return seen;
  }, ['arraybuffer', 'arraybuffer', 'arraybuffer', 'arraybuffer', 'arraybuffer', 'fragments', 'blob', 'nodebuffer']);
});

test('each binaryType gives binary messages its type; text messages are Buffers with isBinary false', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const got = {};
    for (const type of ['nodebuffer', 'arraybuffer', 'fragments', 'blob']) {
      p.client.binaryType = type;
      const bin = next(p.client, 'message');
      p.server.send(Buffer.from('bin'));
      const [data, isBinary] = await bin;
      const txt = next(p.client, 'message');
      p.server.send('txt');
      const [tdata, tIsBinary] = await txt;
      got[type] = { binary: [...dataKind(data), isBinary], text: [...dataKind(tdata), tIsBinary] };
    }
    await p.done();
    return got;
  }, {
    nodebuffer: { binary: ['Buffer', 'bin', true], text: ['Buffer', 'txt', false] },
    arraybuffer: { binary: ['ArrayBuffer', 'bin', true], text: ['Buffer', 'txt', false] },
    fragments: { binary: ['Array', ['bin'], true], text: ['Buffer', 'txt', false] },
    blob: { binary: ['Blob', 3, true], text: ['Buffer', 'txt', false] },
  });
});

test('a fragmented message arrives as one message; binaryType fragments gives one Buffer per frame', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const got = [];
    p.client.on('message', (data, isBinary) => got.push(Array.isArray(data)
      ? ['Array', data.every((d) => Buffer.isBuffer(d)), data.map(String), isBinary]
      : [...dataKind(data), isBinary]));
    p.client.binaryType = 'fragments';
    p.server.send(Buffer.from('ab'), { fin: false });
    p.server.send(Buffer.from('cd'), { fin: false });
    p.server.send(Buffer.from('e'), { fin: true });
    p.server.send('t1', { fin: false });
    p.server.send('t2');
    await until(() => got.length === 2, 'two messages');
    p.client.binaryType = 'nodebuffer';
    p.server.send(Buffer.from('x'), { fin: false });
    p.server.send(Buffer.from('y'));
    await until(() => got.length === 3, 'three messages');
    await p.done();
    return got;
  }, [['Array', true, ['ab', 'cd', 'e'], true], ['Buffer', 't1t2', false], ['Buffer', 'xy', true]]);
});

test('bufferedAmount after close grows by what is sent, on both sides', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    p.client.close();
    p.client.send('12345');
    p.client.ping('ab');
    const errs = [];
    p.client.pong(Buffer.from('xyz'), undefined, (e) => errs.push(e?.message));
    const afterClose = p.client.bufferedAmount;
    await closed(p.client);
    p.client.send('1', (e) => errs.push(e?.message));
    const afterClosed = p.client.bufferedAmount;
    await settle(20);
    await p.done();
    return { afterClose, afterClosed, errs };
  });
});

test('bufferedAmount is 0 while the socket takes what is sent; it grows once the peer stops reading; 0 after close', async () => {
  for (const how of ['close', 'terminate']) {
    await parity(async (impl) => {
      const p = await pair(impl);
      const data = Buffer.alloc(1024, 61);
      const afterOne = [];
      p.server.send(data);
      afterOne.push(p.server.bufferedAmount);
      let n = 0;
      while (p.server.bufferedAmount === 0 && n < 100000) {
        p.server.send(data);
        n++;
      }
      const grew = p.server.bufferedAmount > 0;
      const done = closed(p.server);
      p.server[how]();
      const afterCall = p.server.bufferedAmount > 0;
      await done;
      const afterClosed = p.server.bufferedAmount;
      await p.done();
      return { how, afterOne, grew, afterCall, afterClosed };
    }, { how, afterOne: [0], grew: true, afterCall: true, afterClosed: 0 });
  }
});

test('events in order: what a server sends at once reaches the client after upgrade and open; what a client sends in open reaches the server in order', async () => {
  await parity(async (impl) => {
    const wss = await listen(impl);
    wss.on('connection', (s) => {
      s.send('hi');
      s.ping('p');
      s.send(Buffer.from('b'));
      s.close(4000, 'r');
    });
    const ws = new impl.WebSocket(`ws://127.0.0.1:${wss.address().port}`);
    const client = [];
    for (const t of ['upgrade', 'open', 'message', 'ping', 'pong', 'close', 'error']) {
      ws.on(t, (a, b) => client.push([t, ws.readyState, t === 'message' || t === 'ping' ? String(a) : t === 'close' ? a : null, t === 'message' ? b : null]));
    }
    await closed(ws);

    const server = [];
    wss.removeAllListeners('connection');
    wss.on('connection', (s) => {
      for (const t of ['open', 'message', 'ping', 'pong', 'close', 'error']) {
        s.on(t, (a, b) => server.push([t, s.readyState, t === 'close' ? a : String(a), t === 'message' ? b : null]));
      }
    });
    const c = new impl.WebSocket(`ws://127.0.0.1:${wss.address().port}`);
    c.on('open', () => {
      c.send('a');
      c.send('b', { binary: true });
      c.ping();
      c.pong('x');
      c.close(1001);
    });
    await closed(c);
    await until(() => server.some((e) => e[0] === 'close'), 'the server-side close');
    await shutdown(wss);
    return { client, server };
  }, {
    client: [['upgrade', 0, null, null], ['open', 1, null, null], ['message', 1, 'hi', false], ['ping', 1, 'p', null], ['message', 1, 'b', true], ['close', 3, 4000, null]],
    server: [['message', 1, 'a', false], ['message', 1, 'b', true], ['ping', 1, '', null], ['pong', 1, 'x', null], ['close', 3, 1001, null]],
  });
});

test('an empty binary message, whole or in fragments, per binaryType (fragments: an empty array when it has no bytes)', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const got = [];
    for (const type of ['nodebuffer', 'arraybuffer', 'fragments', 'blob']) {
      p.client.binaryType = type;
      const whole = next(p.client, 'message');
      p.server.send(Buffer.alloc(0));
      const [data, isBinary] = await whole;
      got.push([type, ...dataKind(data), isBinary]);
      const pieces = next(p.client, 'message');
      p.server.send(Buffer.alloc(0), { fin: false });
      p.server.send(Buffer.alloc(0));
      const [data2] = await pieces;
      got.push([type, ...dataKind(data2)]);
    }
    await p.done();
    return got;
  }, [
    ['nodebuffer', 'Buffer', '', true], ['nodebuffer', 'Buffer', ''],
    ['arraybuffer', 'ArrayBuffer', '', true], ['arraybuffer', 'ArrayBuffer', ''],
    ['fragments', 'Array', [], true], ['fragments', 'Array', []],
    ['blob', 'Blob', 0, true], ['blob', 'Blob', 0],
  ]);
});
