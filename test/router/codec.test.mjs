// Pure unit tests of the message decoders and encoders (no sockets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUntrusted, inspect, frozenCopy, stringifySafe } from '../../dist/esm/router/json.js';
import { createV1Codec } from '../../dist/esm/router/protocol-v1.js';
import { createLegacyCodec } from '../../dist/esm/router/protocol-legacy.js';
import { ERROR_CODES, RequestError, isErrorCode } from '../../dist/esm/index.js';

const limits = { maxDepth: 8, maxNameLength: 16 };

test('parseUntrusted: JSON errors, unsafe keys, depth', () => {
  assert.deepEqual(parseUntrusted('{"a":[1,{"b":2}]}', limits), { ok: true, value: { a: [1, { b: 2 }] } });
  assert.equal(parseUntrusted('{', limits).ok, false);
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    const r = parseUntrusted(`{"x":[{"${key}":1}]}`, limits);
    assert.equal(r.ok, false, key);
    assert.match(r.reason, new RegExp(key));
  }
  assert.equal(parseUntrusted('[[[[[[[[[1]]]]]]]]]', limits).ok, false, 'nine levels');
  assert.equal(parseUntrusted('[[[[[[[[1]]]]]]]]', limits).ok, true, 'eight levels');
  assert.equal(inspect('[1]'.repeat(3), 1), null, 'a string is not a container');
});

test('stringifySafe and frozenCopy', () => {
  const cyclic = {};
  cyclic.me = cyclic;
  assert.equal(stringifySafe(cyclic), null);
  assert.equal(stringifySafe(10n), null);
  assert.equal(stringifySafe({ a: 1 }), '{"a":1}');
  const source = { a: { b: [1] } };
  const copy = frozenCopy(source);
  assert.ok(Object.isFrozen(copy.a.b));
  assert.ok(!Object.isFrozen(source.a), 'the original stays the application’s');
});

test('v1 decode: each message type and its validation', () => {
  const v1 = createV1Codec(limits);
  assert.deepEqual(v1.decode('{"type":"auth","id":1,"credentials":{"u":1}}'), { ok: true, ref: 1, command: { kind: 'auth', credentials: { u: 1 } } });
  assert.deepEqual(v1.decode('{"type":"request","id":"r","name":"n","data":[1]}').command, { kind: 'request', name: 'n', body: [1] });
  assert.deepEqual(v1.decode('{"type":"broadcast","id":2,"event":"e"}').command, { kind: 'broadcast', event: 'e', group: null, data: null });
  assert.deepEqual(v1.decode('{"type":"message","id":3,"to":{"alias":"x"},"data":1}').command, { kind: 'private', to: { alias: 'x' }, data: 1 });
  assert.deepEqual(v1.decode('{"type":"update","id":4,"alias":null}').command, { kind: 'update', alias: null });
  assert.equal(v1.decode('{"type":"join","id":5,"group":"this-name-is-too-long"}').error.code, 'bad_message');
  assert.equal(v1.decode('{"type":"nope","id":6}').error.code, 'unknown_type');
  assert.equal(v1.decode('{"type":"clients","id":-1.5}').ref, null);
});

test('v1 encode: reply, error, event, message, presence', () => {
  const v1 = createV1Codec(limits);
  assert.equal(v1.reply(1, null, { ok: true, value: undefined }), '{"type":"reply","id":1,"data":null}');
  const cyclic = {};
  cyclic.c = cyclic;
  assert.equal(JSON.parse(v1.reply(2, null, { ok: true, value: cyclic })).error.code, 'internal_error');
  assert.equal(JSON.parse(v1.reply(3, null, { ok: false, error: { code: 'forbidden', message: 'm', details: cyclic } })).error.message, 'm');
  const from = { id: 'i', alias: 'a', available: true, publicData: { p: 1 }, connected: true };
  assert.deepEqual(JSON.parse(v1.event('e', 'g', 1, from)), { type: 'event', event: 'e', group: 'g', data: 1, from: { id: 'i', alias: 'a' } });
  assert.deepEqual(JSON.parse(v1.privateMessage(from, 'x')), { type: 'message', from: { id: 'i', alias: 'a' }, data: 'x' });
  assert.deepEqual(JSON.parse(v1.presence(from)), { type: 'presence', client: from });
});

test('legacy decode/encode: actions, echoing info, the original error texts', () => {
  const legacy = createLegacyCodec(limits);
  const d = legacy.decode('{"info":{"action":"channel","request":"sendToClient","group":"u-1","packageID":9,"extra":true},"data":5}');
  assert.deepEqual(d.command, { kind: 'private', to: { id: 'u-1' }, data: 5 });
  assert.deepEqual(JSON.parse(legacy.reply(d.ref, d.command, { ok: false, error: { code: 'not_found', message: 'x' } })), {
    info: { action: 'channel', request: 'sendToClient', group: 'u-1', packageID: 9, extra: true },
    error: 'client not found',
    response: { sent: false },
  });
  assert.equal(legacy.decode('{"info":{"action":"zzz"}}').error.message, 'invalid action');
  assert.equal(legacy.decode('{"info":{"action":"group","request":"kick","group":"g"}}').error.message, 'invalid group request');
  assert.deepEqual(legacy.decode('{"info":{"action":"call","request":"echo"},"data":1}').command, { kind: 'echo', body: 1 });
  const b = legacy.decode('{"info":{"action":"broadcast","request":"ev","group":null},"data":1}');
  assert.equal(legacy.reply(b.ref, b.command, { ok: true, value: null }), null, 'broadcasts are not acknowledged');
  const one = JSON.parse(legacy.event('e', null, 1, null)).info.packageID;
  const two = JSON.parse(legacy.event('e', null, 1, null)).info.packageID;
  assert.equal(two, one + 1, 'broadcasts are numbered');
});

test('error codes are a closed list; RequestError keeps only listed codes', () => {
  assert.equal(ERROR_CODES.length, new Set(ERROR_CODES).size);
  assert.ok(ERROR_CODES.every(isErrorCode));
  assert.equal(isErrorCode('made_up'), false);
  assert.equal(new RequestError('made_up', 'm').code, 'request_failed');
  assert.deepEqual(new RequestError('forbidden', 'no').toWire(), { code: 'forbidden', message: 'no' });
});
