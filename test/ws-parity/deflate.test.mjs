// permessage-deflate side by side with ws 8: the client's offer for each
// option, the server's answer to offers where the two agree, what
// `extensions` reads, messages with and without `compress`, and how a
// client fails on an answer it cannot accept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { parity, pair, listen, next, shutdown } from './api-pair.mjs';
import { httpServer } from './impls.mjs';
import { acceptFor } from '../helpers/handshake.mjs';
import { within } from '../helpers/wait.mjs';

/** The parameters of a header value as a sorted list (the order of parameters carries no meaning). */
const params = (value) => (value === undefined ? null : value.split(';').map((p) => p.trim()).sort());

test("the client's Sec-WebSocket-Extensions for each perMessageDeflate option", async () => {
  const options = [
    undefined,
    true,
    false,
    {},
    { clientMaxWindowBits: 10 },
    { clientMaxWindowBits: false },
    { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 11 },
  ];
  await parity(async (impl) => {
    const seen = [];
    const srv = await httpServer(null, (req, socket) => {
      seen.push(req.headers['sec-websocket-extensions'] ?? null);
      socket.destroy();
    });
    for (const o of options) {
      const ws = new impl.WebSocket(`ws://127.0.0.1:${srv.port}`, o === undefined ? undefined : { perMessageDeflate: o });
      ws.on('error', () => {});
      await within(new Promise((resolve) => ws.once('close', resolve)), 'close');
    }
    await srv.close();
    return seen;
  }, [
    'permessage-deflate; client_max_window_bits',
    'permessage-deflate; client_max_window_bits',
    null,
    'permessage-deflate; client_max_window_bits',
    'permessage-deflate; client_max_window_bits=10',
    'permessage-deflate',
    'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=11; client_max_window_bits',
  ]);
});

/** The server's answer to a raw upgrade offering `offer`. */
function answerTo(port, offer) {
  return new Promise((resolve, reject) => {
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    const s = net.connect(port, '127.0.0.1', () => s.write(
      `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: ${offer}\r\n\r\n`,
    ));
    let head = '';
    s.on('data', (d) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      s.destroy();
      const line = head.split('\r\n').find((l) => /^sec-websocket-extensions:/i.test(l));
      resolve([head.split(' ')[1], line === undefined ? null : params(line.slice(line.indexOf(':') + 1))]);
    });
    s.on('error', reject);
  });
}

// The context-takeover settings are given: the defaults differ (ws keeps
// context both ways, ours none; docs/websocket.md, Compression).
const ctx = { serverNoContextTakeover: false, clientNoContextTakeover: false };

test("the server's answer to offers, for settings where RFC 7692 leaves one answer", async () => {
  const cases = [
    [ctx, 'permessage-deflate'],
    [ctx, 'permessage-deflate; client_max_window_bits'],
    [ctx, 'permessage-deflate; client_max_window_bits=9'],
    [ctx, 'permessage-deflate; server_max_window_bits=10; client_no_context_takeover'],
    [{ serverNoContextTakeover: true, clientNoContextTakeover: true }, 'permessage-deflate; client_max_window_bits'],
    [{ ...ctx, serverMaxWindowBits: 10, clientMaxWindowBits: 11 }, 'permessage-deflate; client_max_window_bits'],
    [ctx, 'x-webkit-deflate-frame, permessage-deflate; client_max_window_bits=12, permessage-deflate'],
    [ctx, 'x-webkit-deflate-frame'],
  ];
  await parity(async (impl) => {
    const out = [];
    for (const [option, offer] of cases) {
      const wss = await listen(impl, { perMessageDeflate: option });
      out.push(await within(answerTo(wss.address().port, offer), 'answer'));
      await shutdown(wss);
    }
    return out;
  }, [
    ['101', ['permessage-deflate']],
    ['101', ['permessage-deflate']],
    ['101', ['client_max_window_bits=9', 'permessage-deflate']],
    ['101', ['client_no_context_takeover', 'permessage-deflate', 'server_max_window_bits=10']],
    ['101', ['client_no_context_takeover', 'permessage-deflate', 'server_no_context_takeover']],
    ['101', ['client_max_window_bits=11', 'permessage-deflate', 'server_max_window_bits=10']],
    ['101', ['client_max_window_bits=12', 'permessage-deflate']],
    ['101', null],
  ]);
});

test('extensions reads the name on both sides; messages with and without compress arrive the same', async () => {
  await parity(async (impl) => {
    const p = await pair(impl, { perMessageDeflate: { threshold: 0 } });
    const names = [p.client.extensions, p.server.extensions];
    const got = [];
    const all = new Promise((resolve) => p.server.on('message', (data, isBinary) => {
      got.push([data.toString(), isBinary]);
      if (got.length === 3) resolve();
    }));
    p.client.send('compressed '.repeat(300));
    p.client.send('plain', { compress: false });
    p.client.send(Buffer.from('bytes'), { binary: true });
    await within(all, 'three messages');
    await p.done();
    return { names, got };
  }, {
    names: ['permessage-deflate', 'permessage-deflate'],
    got: [['compressed '.repeat(300), false], ['plain', false], ['bytes', true]],
  });
});

test('a client fails on answers it cannot accept, with the same messages', async () => {
  const answers = [
    'permessage-deflate; foo',
    'permessage-deflate; server_max_window_bits=16',
    'permessage-deflate; client_max_window_bits',
    'x-custom',
  ];
  await parity(async (impl) => {
    const out = [];
    for (const answer of answers) {
      const srv = await httpServer(null, (req, socket) => {
        socket.write(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade',
          `Sec-WebSocket-Accept: ${acceptFor(req.headers['sec-websocket-key'])}`, `Sec-WebSocket-Extensions: ${answer}`, '', ''].join('\r\n'));
      });
      const ws = new impl.WebSocket(`ws://127.0.0.1:${srv.port}`);
      const seen = [];
      ws.on('open', () => seen.push('open'));
      ws.on('error', (err) => seen.push(err.message));
      const [code] = await next(ws, 'close');
      seen.push(code);
      out.push(seen);
      await srv.close();
    }
    return out;
  }, [
    ['Invalid Sec-WebSocket-Extensions header', 1006],
    ['Invalid Sec-WebSocket-Extensions header', 1006],
    ['Invalid Sec-WebSocket-Extensions header', 1006],
    ['Server indicated an extension that was not requested', 1006],
  ]);
});

test('a server without perMessageDeflate, a client with it: no extension, messages pass', async () => {
  await parity(async (impl) => {
    const p = await pair(impl, {}, { perMessageDeflate: true });
    const got = next(p.server, 'message');
    p.client.send('x'.repeat(4000));
    const [data] = await got;
    const out = [p.client.extensions, p.server.extensions, data.length];
    await p.done();
    return out;
  }, ['', '', 4000]);
});
