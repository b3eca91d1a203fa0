// Server opening-handshake conformance (RFC 6455 §4.2): well-formed upgrade
// requests get 101 with the right headers; malformed ones get a real HTTP
// error and never a WebSocket. CONFORMANCE_TARGET=ws runs them against `ws`.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { WebSocketServer, targetName } from '../helpers/target.mjs';
import { startEchoServer } from '../helpers/servers.mjs';
import { acceptFor, newKey, parseHead } from '../helpers/handshake.mjs';
import { FrameReader, text } from '../helpers/frames.mjs';

let server;
let pathServer;

before(async () => {
  server = await startEchoServer(WebSocketServer);
  pathServer = await startEchoServer(WebSocketServer, { path: '/only-here' });
});
after(async () => {
  await server.close();
  await pathServer.close();
});

/**
 * Send a request head (lines without the blank line) and read the response
 * head; then, if it was a 101, send `frame` and report what comes back.
 */
function rawRequest(port, lines, { frame } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    let head = null;
    const reader = new FrameReader();
    const frames = [];
    const timer = setTimeout(() => done(), 2000);
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      if (!head) return reject(new Error(`no complete response head; got "${buf.toString('latin1').slice(0, 200)}"`));
      const [, status] = head.startLine.match(/^HTTP\/1\.1 (\d{3})/) ?? [];
      resolve({ status: Number(status), headers: head.headers, startLine: head.startLine, frames });
    };
    socket.on('data', (chunk) => {
      if (!head) {
        buf = Buffer.concat([buf, chunk]);
        head = parseHead(buf);
        if (!head) return;
        if (head.startLine.includes(' 101 ') && frame) {
          for (const f of reader.push(head.rest)) frames.push(f);
          socket.write(frame);
        } else {
          done();
        }
        return;
      }
      for (const f of reader.push(chunk)) frames.push(f);
      if (frames.length) done();
    });
    socket.on('error', () => {});
    socket.on('close', () => (head || buf.length ? done() : null));
    socket.on('connect', () => socket.write(`${lines.join('\r\n')}\r\n\r\n`));
  });
}

function upgradeLines(port, { key = newKey(), method = 'GET', path = '/', version = '13', upgrade = 'websocket', connection = 'Upgrade', extra = [] } = {}) {
  const lines = [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`];
  if (upgrade !== null) lines.push(`Upgrade: ${upgrade}`);
  if (connection !== null) lines.push(`Connection: ${connection}`);
  if (key !== null) lines.push(`Sec-WebSocket-Key: ${key}`);
  if (version !== null) lines.push(`Sec-WebSocket-Version: ${version}`);
  return [...lines, ...extra];
}

function assertRefused(r, statuses, what) {
  assert.notEqual(r.status, 101, `${what} was upgraded`);
  assert.ok(statuses.includes(r.status), `${what}: expected ${statuses.join(' or ')}, got "${r.startLine}"`);
}

describe(`server handshake conformance (${targetName})`, () => {
  test('valid request: 101, Upgrade, Connection, correct Sec-WebSocket-Accept, then frames flow', { timeout: 5000 }, async () => {
    const key = newKey();
    const r = await rawRequest(server.port, upgradeLines(server.port, { key }), { frame: text('after handshake') });
    assert.equal(r.status, 101);
    assert.match(r.headers.upgrade ?? '', /^websocket$/i);
    assert.match(r.headers.connection ?? '', /\bupgrade\b/i);
    assert.equal(r.headers['sec-websocket-accept'], acceptFor(key));
    assert.equal(r.headers['sec-websocket-protocol'], undefined, 'no subprotocol was offered');
    assert.equal(r.frames.length, 1);
    assert.equal(r.frames[0].payload.toString(), 'after handshake');
  });

  test('RFC 6455 §1.3 sample key gives the sample accept value', { timeout: 5000 }, async () => {
    const r = await rawRequest(server.port, upgradeLines(server.port, { key: 'dGhlIHNhbXBsZSBub25jZQ==' }));
    assert.equal(r.status, 101);
    assert.equal(r.headers['sec-websocket-accept'], 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  test('header names and the Upgrade token are case-insensitive; Connection may list several tokens', { timeout: 5000 }, async () => {
    const key = newKey();
    const lines = [
      'GET / HTTP/1.1', `host: 127.0.0.1:${server.port}`, 'upgrade: WebSocket', 'connection: keep-alive, Upgrade',
      `sec-websocket-key: ${key}`, 'sec-websocket-version: 13',
    ];
    const r = await rawRequest(server.port, lines);
    assert.equal(r.status, 101);
    assert.equal(r.headers['sec-websocket-accept'], acceptFor(key));
  });

  test('permessage-deflate offered but not enabled: no extension is accepted', { timeout: 5000 }, async () => {
    const r = await rawRequest(server.port, upgradeLines(server.port, {
      extra: ['Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits'],
    }));
    assert.equal(r.status, 101);
    assert.equal(r.headers['sec-websocket-extensions'], undefined);
  });

  test('offered subprotocols: the first is selected by default', { timeout: 5000 }, async () => {
    const r = await rawRequest(server.port, upgradeLines(server.port, { extra: ['Sec-WebSocket-Protocol: chat.v1, chat.v2'] }));
    assert.equal(r.status, 101);
    assert.equal(r.headers['sec-websocket-protocol'], 'chat.v1');
  });

  test('unsupported Sec-WebSocket-Version: refused, and the response names version 13', { timeout: 5000 }, async () => {
    const r = await rawRequest(server.port, upgradeLines(server.port, { version: '12' }));
    assertRefused(r, [400, 426], 'version 12');
    assert.match(r.headers['sec-websocket-version'] ?? '', /\b13\b/, 'RFC 6455 §4.4: list the supported version(s)');
  });

  test('missing Sec-WebSocket-Version: 400', { timeout: 5000 }, async () => {
    assertRefused(await rawRequest(server.port, upgradeLines(server.port, { version: null })), [400, 426], 'no version');
  });

  test('missing Sec-WebSocket-Key: 400', { timeout: 5000 }, async () => {
    assertRefused(await rawRequest(server.port, upgradeLines(server.port, { key: null })), [400], 'no key');
  });

  test('Sec-WebSocket-Key that is not 16 base64-encoded bytes: 400', { timeout: 5000 }, async () => {
    for (const key of ['abc', Buffer.alloc(15).toString('base64'), Buffer.alloc(17).toString('base64'), '!!!!!!!!!!!!!!!!!!!!!!==']) {
      assertRefused(await rawRequest(server.port, upgradeLines(server.port, { key })), [400], `key "${key}"`);
    }
  });

  test('method other than GET: refused', { timeout: 5000 }, async () => {
    assertRefused(await rawRequest(server.port, upgradeLines(server.port, { method: 'POST' })), [400, 405], 'POST');
  });

  test('Upgrade header other than websocket: refused', { timeout: 5000 }, async () => {
    assertRefused(await rawRequest(server.port, upgradeLines(server.port, { upgrade: 'h2c' })), [400, 426], 'Upgrade: h2c');
  });

  test('plain GET without Upgrade: not 101 (426 Upgrade Required from a server that owns its port)', { timeout: 5000 }, async () => {
    const r = await rawRequest(server.port, [`GET / HTTP/1.1`, `Host: 127.0.0.1:${server.port}`, 'Connection: close']);
    assertRefused(r, [426], 'plain GET');
  });

  // Empty list elements are left out: RFC 7230 §7 tells recipients to ignore them.
  test('malformed Sec-WebSocket-Protocol (space inside a token, duplicate, parameter): 400', { timeout: 5000 }, async () => {
    const upgraded = [];
    for (const value of ['chat other', 'chat, chat', 'chat;v=1', 'ch@t']) {
      const r = await rawRequest(server.port, upgradeLines(server.port, { extra: [`Sec-WebSocket-Protocol: ${value}`] }));
      if (r.status !== 400) upgraded.push(`"${value}" -> ${r.startLine}`);
    }
    assert.deepEqual(upgraded, [], 'each malformed header should get 400');
  });

  test('path option: other paths are refused with 400, the configured one (with a query) accepted', { timeout: 5000 }, async () => {
    const bad = await rawRequest(pathServer.port, upgradeLines(pathServer.port, { path: '/elsewhere' }));
    assertRefused(bad, [400], 'wrong path');
    const good = await rawRequest(pathServer.port, upgradeLines(pathServer.port, { path: '/only-here?x=1' }));
    assert.equal(good.status, 101);
  });
});
