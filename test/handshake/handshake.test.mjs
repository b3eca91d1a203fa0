import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildAcceptHeaders, buildClientRequest, buildRefusal, computeAccept, generateKey, hasToken, isValidKey, splitTokens,
  validateUpgradeRequest, verifyServerResponse,
} from '../../dist/esm/handshake/index.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
function req(overrides = {}, headerOverrides = {}) {
  const headers = {
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-key': KEY,
    'sec-websocket-version': '13',
    ...headerOverrides,
  };
  for (const k of Object.keys(headers)) if (headers[k] === undefined) delete headers[k];
  return { method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, headers, ...overrides };
}

describe('accept value and keys', () => {
  test('RFC 6455 §1.3 example', () => {
    assert.equal(computeAccept(KEY), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });
  test('generated keys are valid 16-byte base64 and differ', () => {
    const a = generateKey();
    assert.ok(isValidKey(a));
    assert.equal(Buffer.from(a, 'base64').length, 16);
    assert.notEqual(a, generateKey());
  });
  test('invalid keys', () => {
    for (const k of [undefined, '', 'abc', 'dGhlIHNhbXBsZSBub25jZQ', 'dGhlIHNhbXBsZSBub25jZQ===', 'AAAAAAAAAAAAAAAAAAAAAAAA', '!!!!!!!!!!!!!!!!!!!!!!==']) {
      assert.equal(isValidKey(k), false, String(k));
    }
  });
});

describe('server validation (RFC 6455 §4.2.1)', () => {
  test('a valid request', () => {
    const r = validateUpgradeRequest(req({}, { 'sec-websocket-protocol': 'chat, superchat' }));
    assert.equal(r.ok, true);
    assert.deepEqual([...r.protocols], ['chat', 'superchat']);
  });
  test('header values are case-insensitive token lists', () => {
    const r = validateUpgradeRequest(req({}, { upgrade: 'WebSocket', connection: 'keep-alive, UPGRADE' }));
    assert.equal(r.ok, true);
  });
  const refusals = [
    ['POST', req({ method: 'POST' }), 405],
    ['HTTP/1.0', req({ httpVersionMinor: 0 }), 400],
    ['no Upgrade', req({}, { upgrade: undefined }), 400],
    ['Upgrade: h2c', req({}, { upgrade: 'h2c' }), 400],
    ['no Connection upgrade token', req({}, { connection: 'keep-alive' }), 400],
    ['missing key', req({}, { 'sec-websocket-key': undefined }), 400],
    ['short key', req({}, { 'sec-websocket-key': 'AAAA' }), 400],
    ['missing version', req({}, { 'sec-websocket-version': undefined }), 400],
    ['version 7', req({}, { 'sec-websocket-version': '7' }), 400],
    ['an empty subprotocol element', req({}, { 'sec-websocket-protocol': 'a,,b' }), 400],
    ['a trailing comma in the subprotocols', req({}, { 'sec-websocket-protocol': 'a,' }), 400],
    ['bad subprotocol token', req({}, { 'sec-websocket-protocol': 'a b' }), 400],
    ['duplicate subprotocol', req({}, { 'sec-websocket-protocol': 'a, a' }), 400],
  ];
  for (const [name, r, status] of refusals) {
    test(`refuses ${name} with ${status}`, () => {
      const out = validateUpgradeRequest(r);
      assert.equal(out.ok, false);
      assert.equal(out.status, status);
      assert.ok(out.message.length > 0);
    });
  }
  test('an unsupported version is refused naming the supported ones, as ws does', () => {
    const out = validateUpgradeRequest(req({}, { 'sec-websocket-version': '7' }));
    assert.equal(out.message, 'Missing or invalid Sec-WebSocket-Version header');
    assert.equal(out.headers['Sec-WebSocket-Version'], '13, 8');
  });
  test('version 8 (the last hybi draft) is accepted, as ws accepts it', () => {
    assert.equal(validateUpgradeRequest(req({}, { 'sec-websocket-version': '8' })).ok, true);
  });
  test('101 response lines', () => {
    const lines = buildAcceptHeaders(KEY, 'chat');
    assert.equal(lines[0], 'HTTP/1.1 101 Switching Protocols');
    assert.ok(lines.includes('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo='));
    assert.ok(lines.includes('Sec-WebSocket-Protocol: chat'));
    assert.ok(!buildAcceptHeaders(KEY, undefined).some((l) => l.startsWith('Sec-WebSocket-Protocol')));
  });
});

describe('refusals are bytes', () => {
  test('a complete HTTP/1.1 response: status line, Connection: close, a plain-text body and its length', () => {
    const bytes = buildRefusal(503, 'Too many connections', { 'Retry-After': '5' });
    assert.ok(Buffer.isBuffer(bytes));
    assert.equal(
      bytes.toString('latin1'),
      'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
        'Content-Length: 20\r\nRetry-After: 5\r\n\r\nToo many connections',
    );
  });

  test('without a message the body is the reason phrase; Content-Length counts bytes, not characters', () => {
    const cases = [[400, 'Bad Request'], [401, 'Unauthorized'], [403, 'Forbidden'], [404, 'Not Found'], [405, 'Method Not Allowed'],
      [408, 'Request Timeout'], [426, 'Upgrade Required'], [429, 'Too Many Requests'], [431, 'Request Header Fields Too Large'],
      [500, 'Internal Server Error'], [503, 'Service Unavailable']];
    for (const [status, text] of cases) {
      const [head, body] = buildRefusal(status).toString().split('\r\n\r\n');
      assert.equal(head.split('\r\n')[0], `HTTP/1.1 ${status} ${text}`);
      assert.equal(body, text);
    }
    const head = buildRefusal(403, 'Zugriff verweigert: Ursprung «x»').toString();
    assert.match(head, /\r\nContent-Length: 34\r\n/);
  });

  test('a status outside the table gets its class phrase; given headers override the defaults', () => {
    assert.match(buildRefusal(499).toString(), /^HTTP\/1\.1 499 Client Error\r\n[^]*\r\n\r\nClient Error$/);
    assert.match(buildRefusal(599).toString(), /^HTTP\/1\.1 599 Server Error\r\n/);
    const text = buildRefusal(426, 'Unsupported', { 'Sec-WebSocket-Version': '13', 'Content-Type': 'text/plain' }).toString();
    assert.match(text, /\r\nContent-Type: text\/plain\r\n/);
    assert.doesNotMatch(text, /charset/);
    assert.match(text, /\r\nSec-WebSocket-Version: 13\r\n/);
  });
});

describe('client side (RFC 6455 §4.1)', () => {
  test('request headers', () => {
    const plan = buildClientRequest(['a', 'b'], { 'X-Custom': '1', Upgrade: 'nope' });
    assert.equal(plan.headers['Sec-WebSocket-Version'], '13');
    assert.equal(plan.headers['Sec-WebSocket-Protocol'], 'a,b');
    assert.equal(plan.headers['X-Custom'], '1');
    assert.equal(plan.headers.Upgrade, 'websocket', 'extra headers cannot override the handshake');
    assert.ok(isValidKey(plan.key));
  });
  test('invalid or duplicate subprotocols throw', () => {
    assert.throws(() => buildClientRequest(['a', 'a']), SyntaxError);
    assert.throws(() => buildClientRequest(['a b']), SyntaxError);
  });
  const good = (extra = {}) => ({ upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': computeAccept(KEY), ...extra });
  test('accepts a correct response and the chosen protocol', () => {
    assert.deepEqual(verifyServerResponse(101, good({ 'sec-websocket-protocol': 'b' }), KEY, ['a', 'b']), { ok: true, protocol: 'b' });
    assert.deepEqual(verifyServerResponse(101, good(), KEY, []), { ok: true, protocol: '' });
  });
  test('a server that selects none of the offered subprotocols is refused, as ws refuses it', () => {
    assert.deepEqual(verifyServerResponse(101, good(), KEY, ['a']), { ok: false, message: 'Server sent no subprotocol' });
  });
  const bad = [
    ['status 200', 200, good(), []],
    ['wrong accept', 101, good({ 'sec-websocket-accept': 'x' }), []],
    ['no upgrade', 101, good({ upgrade: undefined }), []],
    ['no connection', 101, good({ connection: 'close' }), []],
    ['unrequested extension', 101, good({ 'sec-websocket-extensions': 'permessage-deflate' }), []],
    ['unrequested protocol', 101, good({ 'sec-websocket-protocol': 'c' }), ['a']],
    ['protocol when none offered', 101, good({ 'sec-websocket-protocol': 'a' }), []],
  ];
  for (const [name, status, headers, protocols] of bad) {
    test(`rejects ${name}`, () => {
      const r = verifyServerResponse(status, headers, KEY, protocols);
      assert.equal(r.ok, false);
      assert.ok(r.message.length > 0);
    });
  }
});

test('token helpers', () => {
  assert.deepEqual(splitTokens(' a, ,b ,c'), ['a', 'b', 'c']);
  assert.deepEqual(splitTokens(['a', 'b,c']), ['a', 'b', 'c']);
  assert.deepEqual(splitTokens(undefined), []);
  assert.ok(hasToken('Keep-Alive, Upgrade', 'upgrade'));
  assert.ok(!hasToken('upgrades', 'upgrade'));
});
