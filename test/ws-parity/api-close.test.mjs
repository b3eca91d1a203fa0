// The close of a connection as a program sees it, side by side with ws 8:
// 'close' (code, reason Buffer) on both sides of a clean close started by
// either, the codes a close can end with, terminate(), close() called in
// 'open', twice or while closing, and a peer that never answers the close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { parity, pair, listen, next, closed, settle, until } from './api-pair.mjs';
import { rawPeer } from './raw-peer.mjs';

/** Logs `ws`'s open/message/close/error events, with the readyState in each listener. */
function watch(ws, log, side) {
  ws.on('close', (code, reason) => log.push([side, 'close', code, Buffer.isBuffer(reason) ? reason.toString() : typeof reason, ws.readyState]));
  ws.on('error', (err) => log.push([side, 'error', err.message, ws.readyState]));
}

for (const [code, reason] of [[undefined, undefined], [1000, ''], [1000, 'bye'], [3000, 'three'], [4999, 'é'.repeat(40)]]) {
  for (const by of ['client', 'server']) {
    test(`close(${code}, ${reason === undefined ? '' : `'${reason.slice(0, 5)}'`}) by the ${by}: both sides get the code and the reason`, async () => {
      await parity(async (impl) => {
        const p = await pair(impl);
        const log = [];
        watch(p.client, log, 'client');
        watch(p.server, log, 'server');
        const both = Promise.all([closed(p.client), closed(p.server)]);
        const closer = by === 'client' ? p.client : p.server;
        closer.close(code, reason);
        const state = closer.readyState;
        await both;
        await p.done();
        return { state, log: log.sort((a, b) => a[0].localeCompare(b[0])) };
      });
    });
  }
}

test('terminate(): CLOSING at once, then close 1006 with an empty reason on this side; the peer gets 1006 too', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const log = [];
    watch(p.client, log, 'client');
    watch(p.server, log, 'server');
    const both = Promise.all([closed(p.client), closed(p.server)]);
    p.client.terminate();
    const state = p.client.readyState;
    p.client.terminate();
    await both;
    await p.done();
    return { state, log: log.sort((a, b) => a[0].localeCompare(b[0])) };
  }, { state: 2, log: [['client', 'close', 1006, '', 3], ['server', 'close', 1006, '', 3]] });
});

test('close() inside the open listener closes cleanly with that code', async () => {
  await parity(async (impl) => {
    const wss = new impl.WebSocketServer({ port: 0, host: '127.0.0.1' });
    await next(wss, 'listening');
    const log = [];
    wss.on('connection', (s) => watch(s, log, 'server'));
    const ws = new impl.WebSocket(`ws://127.0.0.1:${wss.address().port}`);
    watch(ws, log, 'client');
    ws.on('open', () => {
      ws.close(4001, 'from open');
      log.push(['client', 'open', ws.readyState]);
    });
    await closed(ws);
    await until(() => log.some((e) => e[0] === 'server' && e[1] === 'close'), 'the server-side close');
    wss.close();
    return log.sort((a, b) => a[0].localeCompare(b[0]));
  }, [['client', 'open', 2], ['client', 'close', 4001, 'from open', 3], ['server', 'close', 4001, 'from open', 3]]);
});

test('close() twice: the second call changes nothing, the peer gets the first code', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const log = [];
    watch(p.client, log, 'client');
    watch(p.server, log, 'server');
    const both = Promise.all([closed(p.client), closed(p.server)]);
    p.client.close(4001, 'first');
    p.client.close(4002, 'second');
    p.client.close();
    await both;
    p.client.close(4003);
    await p.done();
    return log.sort((a, b) => a[0].localeCompare(b[0]));
  });
});

test('terminate() while CLOSING: close 1006 here; the peer got the close frame', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const log = [];
    watch(p.client, log, 'client');
    watch(p.server, log, 'server');
    const both = Promise.all([closed(p.client), closed(p.server)]);
    p.client.close(4001, 'first');
    p.client.terminate();
    const state = p.client.readyState;
    await both;
    await p.done();
    return { state, log: log.sort((a, b) => a[0].localeCompare(b[0])) };
  });
});

test('a peer that never answers the close frame: the WebSocket stays CLOSING (until the close timeout); terminate() ends it with 1006', async () => {
  // A raw server that completes the upgrade and then never writes again.
  const server = http.createServer();
  const sockets = new Set();
  server.on('upgrade', (req, socket) => {
    sockets.add(socket);
    const { createHash } = require_crypto();
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.on('error', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    await parity(async (impl) => {
      const ws = new impl.WebSocket(`ws://127.0.0.1:${server.address().port}`);
      await next(ws, 'open');
      const log = [];
      watch(ws, log, 'client');
      ws.close(1000);
      await settle(100);
      const stillClosing = ws.readyState;
      ws.terminate();
      await closed(ws);
      // With a short closeTimeout the socket is destroyed by itself: 1006, no error.
      const short = new impl.WebSocket(`ws://127.0.0.1:${server.address().port}`, { closeTimeout: 50 });
      await next(short, 'open');
      watch(short, log, 'short');
      short.close(4000);
      await closed(short);
      return { stillClosing, log };
    }, { stillClosing: 2, log: [['client', 'close', 1006, '', 3], ['short', 'close', 1006, '', 3]] });
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
  }
});

import { createRequire } from 'node:module';
const require_crypto = () => createRequire(import.meta.url)('node:crypto');

test('messages and pings that arrive while CLOSING are delivered, then close', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const log = [];
    p.client.on('message', (d) => log.push(['message', d.toString(), p.client.readyState]));
    p.client.on('ping', (d) => log.push(['ping', d.toString(), p.client.readyState]));
    p.client.on('close', (code, reason) => log.push(['close', code, reason.toString()]));
    p.client.close(4000, 'c');
    p.server.send('late');
    p.server.ping('lp');
    await closed(p.client);
    await p.done();
    return log;
  }, [['message', 'late', 2], ['ping', 'lp', 2], ['close', 4000, 'c']]);
});

test('send() then terminate(): the message still leaves, its callback gets no error', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const log = [];
    p.server.on('message', (d) => log.push(['server got', d.toString()]));
    const serverClosed = closed(p.server);
    p.client.send('x', (err) => log.push(['callback', err ? err.message : null]));
    p.client.terminate();
    await closed(p.client);
    await serverClosed;
    await p.done();
    return log.sort((a, b) => a[0].localeCompare(b[0]));
  }, [['callback', null], ['server got', 'x']]);
});

test('a Buffer reason goes as its bytes; close() inside the close listener does nothing', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const log = [];
    p.server.on('close', (code, reason) => {
      log.push(['server close', code, reason.toString()]);
      p.server.close(1000);
      log.push(['server readyState', p.server.readyState]);
    });
    const serverClosed = closed(p.server);
    p.client.close(1000, Buffer.from('buf reason'));
    await serverClosed;
    await p.done();
    return log;
  }, [['server close', 1000, 'buf reason'], ['server readyState', 3]]);
});

test('the readyState in message listeners stays OPEN until the close frame is read; close follows', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const log = [];
    p.client.on('message', (d) => log.push(['message', d.toString(), p.client.readyState]));
    p.client.on('close', (code) => log.push(['close', code, p.client.readyState]));
    p.server.send('m');
    p.server.close();
    await closed(p.client);
    await p.done();
    return log;
  }, [['message', 'm', 1], ['close', 1005, 3]]);
});

test('a client that never answers the close frame: the server-side WebSocket closes with 1006 after closeTimeout', async () => {
  await parity(async (impl) => {
    const wss = await listen(impl, { closeTimeout: 50 });
    const log = [];
    const serverClosed = new Promise((resolve) => {
      wss.on('connection', (ws) => {
        watch(ws, log, 'server');
        ws.on('close', resolve);
        ws.close(4000, 'bye');
        log.push(['server', 'after close()', ws.readyState]);
      });
    });
    // A raw client that upgrades and then never writes again.
    const sock = rawPeer(wss.address().port, Buffer.alloc(0), (code) => log.push(['peer', 'close frame', code]));
    await serverClosed;
    sock.destroy();
    await new Promise((r) => wss.close(r));
    return log;
  }, [['server', 'after close()', 2], ['peer', 'close frame', 4000], ['server', 'close', 1006, '', 3]]);
});

test('a server-side WebSocket closed or terminated in the connection listener: the client opens, gets what was sent, then close', async () => {
  await parity(async (impl) => {
    const out = {};
    for (const act of ['terminate', 'close', 'send and close', 'send and terminate']) {
      const wss = await listen(impl);
      wss.on('connection', (s) => {
        if (act.startsWith('send')) s.send('m');
        if (act.endsWith('terminate')) s.terminate();
        else if (act === 'close') s.close(4001, 'now');
        else s.close();
      });
      const ws = new impl.WebSocket(`ws://127.0.0.1:${wss.address().port}`);
      const log = [];
      for (const t of ['upgrade', 'open', 'message', 'close', 'error']) {
        ws.on(t, (a) => log.push(t === 'close' ? `close ${a}` : t === 'error' ? `error ${a.message}` : t === 'message' ? `message ${a}` : t));
      }
      await closed(ws);
      await settle(20);
      out[act] = log;
      await new Promise((r) => wss.close(r));
    }
    return out;
  }, {
    terminate: ['upgrade', 'open', 'close 1006'],
    close: ['upgrade', 'open', 'close 4001'],
    'send and close': ['upgrade', 'open', 'message m', 'close 1005'],
    'send and terminate': ['upgrade', 'open', 'message m', 'close 1006'],
  });
});

test('a protocol error: error (in CLOSING) then close 1006 on the failing side; the peer gets the close code', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const log = [];
    watch(p.client, log, 'client');
    watch(p.server, log, 'server');
    const both = Promise.all([closed(p.client), closed(p.server)]);
    // A text frame that is not UTF-8, written on the server's socket as raw bytes.
    p.server._socket.write(Buffer.from([0x81, 0x02, 0xff, 0xfe]));
    await both;
    await p.done();
    return log.sort((a, b) => a[0].localeCompare(b[0]));
  }, [
    ['client', 'error', 'Invalid WebSocket frame: invalid UTF-8 sequence', 2],
    ['client', 'close', 1006, '', 3],
    ['server', 'close', 1007, '', 3],
  ]);
});
