// Sec-WebSocket-Extensions (RFC 6455 §9.1) and the negotiation of
// permessage-deflate (RFC 7692 §5, §7.1): vectors for the parser, the
// server's choice among offers, the client's offer and its check of the
// answer, and the option's validation.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseExtensions, formatExtension, deflateSettings, acceptOffers, deflateOffer, acceptResponse, verifyServerResponse, computeAccept,
} from '../../dist/esm/handshake/index.js';

const el = (name, ...params) => ({ name, params });

describe('parseExtensions (RFC 6455 §9.1 grammar)', () => {
  const good = [
    ['one name', 'permessage-deflate', [el('permessage-deflate')]],
    ['a valueless parameter', 'permessage-deflate; client_max_window_bits', [el('permessage-deflate', ['client_max_window_bits', true])]],
    ['token values', 'permessage-deflate;server_max_window_bits=10;client_no_context_takeover',
      [el('permessage-deflate', ['server_max_window_bits', '10'], ['client_no_context_takeover', true])]],
    ['a quoted value is unescaped', 'permessage-deflate; server_max_window_bits="1\\0"', [el('permessage-deflate', ['server_max_window_bits', '10'])]],
    ['several offers keep their order', 'permessage-deflate; server_max_window_bits=10, permessage-deflate, x-other; a=b',
      [el('permessage-deflate', ['server_max_window_bits', '10']), el('permessage-deflate'), el('x-other', ['a', 'b'])]],
    ['whitespace around separators', ' permessage-deflate ;\tclient_max_window_bits = 9 , foo ', [el('permessage-deflate', ['client_max_window_bits', '9']), el('foo')]],
    ['empty list elements are skipped', 'a, , b,', [el('a'), el('b')]],
    ['names are lower-cased', 'PerMessage-Deflate; Server_No_Context_Takeover', [el('permessage-deflate', ['server_no_context_takeover', true])]],
    ['several header lines', ['a; x=1', 'b'], [el('a', ['x', '1']), el('b')]],
    ['no header', undefined, []],
  ];
  for (const [name, input, expected] of good) {
    test(`parses ${name}`, () => assert.deepEqual(parseExtensions(input), expected));
  }
  const bad = [
    ['a parameter without a name', 'permessage-deflate; =10'],
    ['a missing value', 'permessage-deflate; server_max_window_bits='],
    ['an unterminated quoted string', 'permessage-deflate; a="10'],
    ['a quoted value that is not a token', 'permessage-deflate; a="1 0"'],
    ['an empty quoted value', 'permessage-deflate; a=""'],
    ['a separator inside a token', 'permessage-deflate; a=1/2'],
    ['a parameter without an extension', '; a'],
    ['junk after a value', 'permessage-deflate; a=1 b'],
    ['a non-token character in a name', 'permessage deflate'],
  ];
  for (const [name, input] of bad) {
    test(`refuses ${name}`, () => assert.equal(parseExtensions(input), null));
  }
  test('formatExtension writes what parseExtensions reads', () => {
    const e = el('permessage-deflate', ['server_no_context_takeover', true], ['client_max_window_bits', '10']);
    assert.equal(formatExtension(e), 'permessage-deflate; server_no_context_takeover; client_max_window_bits=10');
    assert.deepEqual(parseExtensions(formatExtension(e)), [e]);
  });
});

describe('deflateSettings: the perMessageDeflate option', () => {
  test('off: false and undefined; on: true and objects, with the defaults of each role', () => {
    assert.equal(deflateSettings(false, 'server'), null);
    assert.equal(deflateSettings(undefined, 'client'), null);
    const server = deflateSettings(true, 'server');
    assert.deepEqual(
      [server.serverNoContextTakeover, server.clientNoContextTakeover, server.serverMaxWindowBits, server.clientMaxWindowBits, server.threshold, server.concurrencyLimit],
      [true, true, null, false, 1024, 10],
    );
    const client = deflateSettings({}, 'client');
    assert.deepEqual([client.serverNoContextTakeover, client.clientNoContextTakeover, client.clientMaxWindowBits], [false, false, true]);
  });
  const invalid = [
    [{ serverMaxWindowBits: 16 }, /serverMaxWindowBits must be an integer from 8 to 15, got 16/],
    [{ serverMaxWindowBits: 7 }, /serverMaxWindowBits must be an integer from 8 to 15, got 7/],
    [{ clientMaxWindowBits: 9.5 }, /clientMaxWindowBits must be an integer from 8 to 15, got 9.5/],
    [{ clientMaxWindowBits: '10' }, /clientMaxWindowBits must be an integer from 8 to 15 or a boolean, got "10"/],
    [{ serverNoContextTakeover: 'yes' }, /serverNoContextTakeover must be a boolean, got "yes"/],
    [{ threshold: -1 }, /threshold must be an integer from 0/],
    [{ concurrencyLimit: 0 }, /concurrencyLimit must be an integer from 1/],
    [{ zlibDeflateOptions: { level: 10 } }, /zlibDeflateOptions.level must be an integer from -1 to 9, got 10/],
    [{ zlibDeflateOptions: { memLevel: 0 } }, /zlibDeflateOptions.memLevel must be an integer from 1 to 9, got 0/],
    [{ zlibInflateOptions: { chunkSize: 1 } }, /zlibInflateOptions.chunkSize must be an integer from 64/],
  ];
  for (const [option, message] of invalid) {
    test(`refuses ${JSON.stringify(option)} and says what is wrong`, () => {
      assert.throws(() => deflateSettings(option, 'server'), message);
    });
  }
  test('a value that is neither boolean nor object is a TypeError', () => {
    assert.throws(() => deflateSettings(1, 'server'), TypeError);
  });
});

describe('acceptOffers: the server picks the first acceptable offer', () => {
  const server = (o = {}) => deflateSettings({ serverNoContextTakeover: false, clientNoContextTakeover: false, ...o }, 'server');
  const pick = (header, o) => acceptOffers(header, server(o));
  test('a plain offer: accepted, nothing to add', () => {
    assert.deepEqual(pick('permessage-deflate'), {
      serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15, header: 'permessage-deflate',
    });
  });
  test('the default server settings answer with both no-context-takeover parameters', () => {
    const p = acceptOffers('permessage-deflate; client_max_window_bits', deflateSettings(true, 'server'));
    assert.equal(p.header, 'permessage-deflate; server_no_context_takeover; client_no_context_takeover');
    assert.equal(p.serverNoContextTakeover && p.clientNoContextTakeover, true);
  });
  test('what the client asks is granted: no context takeover, a smaller server window', () => {
    const p = pick('permessage-deflate; server_no_context_takeover; server_max_window_bits=10');
    assert.equal(p.header, 'permessage-deflate; server_no_context_takeover; server_max_window_bits=10');
    assert.equal(p.serverMaxWindowBits, 10);
  });
  test("the server's own window limit wins when smaller, and is announced", () => {
    assert.equal(pick('permessage-deflate; server_max_window_bits=12', { serverMaxWindowBits: 9 }).serverMaxWindowBits, 9);
    assert.equal(pick('permessage-deflate', { serverMaxWindowBits: 9 }).header, 'permessage-deflate; server_max_window_bits=9');
  });
  test('clientMaxWindowBits limits the client only where it offered client_max_window_bits (RFC 7692 §7.1.2.2)', () => {
    const p = pick('permessage-deflate; client_max_window_bits', { clientMaxWindowBits: 10 });
    assert.equal(p.header, 'permessage-deflate; client_max_window_bits=10');
    assert.equal(p.clientMaxWindowBits, 10);
    assert.equal(pick('permessage-deflate; client_max_window_bits=9', { clientMaxWindowBits: 12 }).clientMaxWindowBits, 9);
    const none = pick('permessage-deflate', { clientMaxWindowBits: 10 });
    assert.equal(none.header, 'permessage-deflate');
    assert.equal(none.clientMaxWindowBits, 15);
  });
  const declined = [
    ['an unknown parameter', 'permessage-deflate; foo'],
    ['a repeated parameter', 'permessage-deflate; server_no_context_takeover; server_no_context_takeover'],
    ['window bits out of range', 'permessage-deflate; server_max_window_bits=16'],
    ['window bits below 8', 'permessage-deflate; client_max_window_bits=7'],
    ['window bits with a leading zero', 'permessage-deflate; server_max_window_bits=010'],
    ['server_max_window_bits without a value', 'permessage-deflate; server_max_window_bits'],
    ['a value on a flag', 'permessage-deflate; server_no_context_takeover=1'],
  ];
  for (const [name, header] of declined) {
    test(`an offer with ${name} is declined; the next offer is taken`, () => {
      assert.equal(pick(header), null);
      const p = pick(`${header}, permessage-deflate; client_no_context_takeover`);
      assert.equal(p.header, 'permessage-deflate; client_no_context_takeover');
    });
  }
  test('other extensions are skipped; a header that does not parse is no offer (never a throw)', () => {
    assert.equal(pick('x-webkit-deflate-frame, permessage-deflate').header, 'permessage-deflate');
    assert.equal(pick('x-webkit-deflate-frame'), null);
    assert.equal(pick('permessage-deflate; a="'), null);
    assert.equal(pick(undefined), null);
  });
  test('a quoted window size is read as its token (RFC 6455 §9.1)', () => {
    assert.equal(pick('permessage-deflate; server_max_window_bits="11"').serverMaxWindowBits, 11);
  });
});

describe('deflateOffer and acceptResponse: the client side', () => {
  const client = (o = {}) => deflateSettings(o, 'client');
  test("the default offer is ws's client's", () => {
    assert.equal(deflateOffer(client()), 'permessage-deflate; client_max_window_bits');
  });
  test('every option shows in the offer', () => {
    assert.equal(
      deflateOffer(client({ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 11 })),
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11',
    );
    assert.equal(deflateOffer(client({ clientMaxWindowBits: false })), 'permessage-deflate');
  });
  test('an answer within the offer is accepted with the parameters it sets', () => {
    const p = acceptResponse('permessage-deflate; server_no_context_takeover; client_max_window_bits=10', client());
    assert.deepEqual(
      [p.serverNoContextTakeover, p.clientNoContextTakeover, p.serverMaxWindowBits, p.clientMaxWindowBits],
      [true, false, 15, 10],
    );
    assert.equal(acceptResponse(undefined, client()), null);
    assert.equal(acceptResponse('permessage-deflate; server_max_window_bits=9', client({ serverMaxWindowBits: 10 })).serverMaxWindowBits, 9);
  });
  const failing = [
    ['an unknown parameter', 'permessage-deflate; foo', {}],
    ['a repeated parameter', 'permessage-deflate; client_no_context_takeover; client_no_context_takeover', {}],
    ['client_max_window_bits without a value', 'permessage-deflate; client_max_window_bits', {}],
    ['client_max_window_bits not offered', 'permessage-deflate; client_max_window_bits=10', { clientMaxWindowBits: false }],
    ['client_max_window_bits above the offer', 'permessage-deflate; client_max_window_bits=12', { clientMaxWindowBits: 10 }],
    ['server_max_window_bits above the offer', 'permessage-deflate; server_max_window_bits=12', { serverMaxWindowBits: 10 }],
    ['window bits out of range', 'permessage-deflate; server_max_window_bits=16', {}],
    ['an extension not offered', 'x-webkit-deflate-frame', {}],
    ['two answers', 'permessage-deflate, permessage-deflate', {}],
    ['a header that does not parse', 'permessage-deflate;', {}],
  ];
  for (const [name, header, o] of failing) {
    test(`an answer with ${name} fails the connection`, () => {
      const r = acceptResponse(header, client(o));
      assert.equal(typeof r, 'string');
      assert.match(r, /Sec-WebSocket-Extensions|extension/);
    });
  }
  test('verifyServerResponse fails on a bad answer and returns the parameters of a good one', () => {
    const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
    const headers = (ext) => ({ upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': computeAccept(KEY), 'sec-websocket-extensions': ext });
    const ok = verifyServerResponse(101, headers('permessage-deflate'), KEY, [], client());
    assert.equal(ok.ok, true);
    assert.equal(ok.deflate.header, 'permessage-deflate');
    const bad = verifyServerResponse(101, headers('permessage-deflate; server_max_window_bits=20'), KEY, [], client());
    assert.equal(bad.ok, false);
    const unrequested = verifyServerResponse(101, headers('permessage-deflate'), KEY, [], null);
    assert.deepEqual(unrequested, { ok: false, message: 'Server sent a Sec-WebSocket-Extensions header but no extension was requested' });
  });
});
