// Seeded fuzzing of the application message decoders, both wire protocols:
// 120,000 messages (mutated valid ones, random JSON, character soup) through
// the codecs directly, then a smaller batch over real connections. Only
// defined error codes come out, no exception escapes, what must be refused
// (not JSON, unsafe keys, too deep) is refused, and nothing changes state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES } from '../../dist/esm/index.js';
import { createV1Codec } from '../../dist/esm/router/protocol-v1.js';
import { createLegacyCodec } from '../../dist/esm/router/protocol-legacy.js';
import { rng, fuzzMessage, audit, V1_TEMPLATES, LEGACY_TEMPLATES } from './fuzz-messages.mjs';
import { startServer, login, legacyLogin, closeAll } from './helpers.mjs';
import { until } from '../helpers/wait.mjs';

const SEED = Number(process.env.FUZZ_SEED ?? 0x0a11ce5);
const MESSAGES = Number(process.env.FUZZ_MESSAGES ?? 120_000);
const LIVE = Number(process.env.FUZZ_LIVE ?? 1_500);
const LIMITS = { maxDepth: 8, maxNameLength: 16 };
const CODES = new Set(ERROR_CODES);
const KINDS = new Set(['auth', 'request', 'echo', 'broadcast', 'private', 'join', 'leave', 'leaveAll', 'clients', 'getAlias', 'getAvailability', 'update']);
const NAMED = { request: ['name'], broadcast: ['event'], join: ['group'], leave: ['group'] };
const isRequestId = (v) => (typeof v === 'string' && v.length > 0 && v.length <= 128) || Number.isSafeInteger(v);

/** Everything the decoders promise about one input; returns the outcome's label. */
function check(codec, text) {
  const problem = audit(text, LIMITS.maxDepth);
  let result;
  try {
    result = codec.decode(text);
  } catch (error) {
    assert.fail(`decode threw ${error} for ${JSON.stringify(text).slice(0, 200)}`);
  }
  // Decoding is a function of the text alone.
  assert.equal(JSON.stringify(codec.decode(text)), JSON.stringify(result));
  let reply;
  if (result.ok) {
    assert.equal(problem, null, `accepted what had to be refused (${problem}): ${text.slice(0, 200)}`);
    assert.ok(KINDS.has(result.command.kind), result.command.kind);
    for (const field of NAMED[result.command.kind] ?? []) {
      const v = result.command[field];
      assert.ok(typeof v === 'string' && v.length > 0 && v.length <= LIMITS.maxNameLength, `${field} ${v}`);
    }
    if (codec.name === 'v1') assert.ok(isRequestId(result.ref));
    else assert.ok(result.ref !== null && typeof result.ref === 'object' && !Array.isArray(result.ref));
    // (A success reply's shape depends on what the action returned, so the
    // answer checked here is a refusal by a later rule.)
    reply = codec.reply(result.ref, result.command, { ok: false, error: { code: 'forbidden', message: 'no' } });
  } else {
    assert.ok(CODES.has(result.error.code), `undefined code ${result.error.code}`);
    assert.equal(typeof result.error.message, 'string');
    if (problem !== null) assert.equal(result.error.code, 'bad_message', `${problem}: ${text.slice(0, 200)}`);
    if (codec.name === 'v1') assert.ok(result.ref === null || isRequestId(result.ref));
    reply = codec.reply(result.ref, null, { ok: false, error: result.error });
  }
  // Whatever came in, the answer is well-formed JSON tied to the same id.
  if (reply !== null) {
    const parsed = JSON.parse(reply);
    // (=== rather than Object.is: an id written -0 comes back as 0, which JSON cannot tell apart.)
    if (codec.name === 'v1') assert.ok(parsed.id === result.ref, `id ${parsed.id} for ${String(result.ref)}`);
  }
  return result.ok ? result.command.kind : result.error.code;
}

test(`${MESSAGES} fuzzed messages through both codecs: defined errors only, no throw, refusals enforced`, () => {
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
  const r = rng(SEED);
  const codecs = [[createV1Codec(LIMITS), V1_TEMPLATES], [createLegacyCodec(LIMITS), LEGACY_TEMPLATES]];
  const seen = { v1: new Map(), legacy: new Map() };
  for (let i = 0; i < MESSAGES; i++) {
    const [codec, templates] = codecs[i % 2];
    const label = check(codec, fuzzMessage(r, templates));
    seen[codec.name].set(label, (seen[codec.name].get(label) ?? 0) + 1);
  }
  // The fuzzer reached both sides of the decoders, not just one corner.
  for (const name of ['v1', 'legacy']) {
    const counts = seen[name];
    const accepted = [...counts].filter(([k]) => KINDS.has(k)).reduce((n, [, c]) => n + c, 0);
    assert.ok(accepted > MESSAGES / 20, `${name}: ${accepted} accepted`);
    assert.ok((counts.get('bad_message') ?? 0) > MESSAGES / 20, `${name}: bad_message ${counts.get('bad_message')}`);
    assert.ok((counts.get('unknown_type') ?? 0) > 100, `${name}: unknown_type ${counts.get('unknown_type')}`);
  }
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), prototypeKeys);
  assert.equal({}.polluted, undefined);
});

/** Kinds that change no state on an authenticated connection; the live batch keeps only these and refusals. */
const STATELESS = new Set(['auth', 'request', 'echo', 'clients', 'getAlias', 'getAvailability']);

for (const protocol of ['v1', 'legacy']) {
  test(`${LIVE} fuzzed ${protocol} messages over a real connection: one answer each, exact errors, no state change`, async () => {
    const handled = [];
    const ctx = await startServer((s) => {
      s.onAuthentication((c, start, respond) => {
        start({ secret: 1 }, ['home'], c.name, true, { fixed: true });
        respond(null, {});
      });
      s.onRequest('noop', (body) => {
        assert.equal(audit(JSON.stringify(body ?? null), LIMITS.maxDepth), null, 'a handler only sees clean data');
        handled.push(body);
        return body ?? 'none';
      });
      s.onGroupChange(() => true);
    }, { ...LIMITS, rateLimit: false, maxInflight: 0 });
    const client = protocol === 'v1' ? await login(ctx.url, { name: 'fuzz' }) : await legacyLogin(ctx.url, { name: 'fuzz' });
    const watcher = await login(ctx.url, { name: 'watcher' });
    const session = [...ctx.server.sessions()].find((s) => s.alias === 'fuzz');
    const before = JSON.stringify({ pub: session.toPublic(), groups: [...session.groups], stats: ctx.server.stats });
    const codec = protocol === 'v1' ? createV1Codec(LIMITS) : createLegacyCodec(LIMITS);
    const r = rng(SEED ^ (protocol === 'v1' ? 0x1111 : 0x2222));
    const expectedErrors = [];
    const firstAnswer = client.raw.length; // after the login's own answer
    let sent = 0;
    for (let i = 0; sent < LIVE && i < LIVE * 20; i++) {
      // What the server will see: the text after a UTF-8 round trip.
      const text = Buffer.from(fuzzMessage(r, protocol === 'v1' ? V1_TEMPLATES : LEGACY_TEMPLATES)).toString();
      const d = codec.decode(text);
      if (d.ok && !STATELESS.has(d.command.kind)) continue;
      if (!d.ok) expectedErrors.push(codec.reply(d.ref, null, { ok: false, error: d.error }));
      client.sendRaw(text);
      sent++;
    }
    // Binary frames are refused too.
    for (let i = 0; i < 10; i++, sent++) client.ws.send(Buffer.from('{"type":"clients","id":1}'), { binary: true });
    for (let i = 0; i < 10; i++) expectedErrors.push(codec.reply(null, null, { ok: false, error: { code: 'bad_message', message: 'binary messages are not part of the protocol' } }));

    const answers = () => client.raw.slice(firstAnswer).filter((t) => !/^\{"(type":"(presence|event)"|info":\{"action":"broadcast","request":"__updateClientsState")/.test(t));
    await until(() => answers().length >= sent, `${sent} answers`, 10_000);
    const got = answers();
    assert.equal(got.length, sent, 'exactly one answer per message');
    // Every refusal is answered with exactly the error the codec defines.
    const remaining = new Map();
    for (const t of got) remaining.set(t, (remaining.get(t) ?? 0) + 1);
    for (const e of expectedErrors) {
      const n = remaining.get(e) ?? 0;
      assert.ok(n > 0, `missing answer ${e.slice(0, 200)}`);
      remaining.set(e, n - 1);
    }
    for (const t of got) {
      const m = JSON.parse(t);
      if (protocol === 'v1') assert.ok(m.type === 'reply' || (m.type === 'error' && CODES.has(m.error.code)), t.slice(0, 200));
      else assert.ok('info' in m && 'error' in m && 'response' in m, t.slice(0, 200));
    }
    assert.ok(handled.length > 0, 'some fuzzed requests were valid and handled');
    // No state changed: the session, its groups, the counters, the other client.
    assert.equal(JSON.stringify({ pub: session.toPublic(), groups: [...session.groups], stats: ctx.server.stats }), before);
    assert.deepEqual(ctx.errors, []);
    assert.equal(client.ws.readyState, 1);
    assert.equal(watcher.inbox.filter((m) => m.type !== 'presence').length, 0, 'nothing reached the other client');
    assert.equal({}.polluted, undefined);
    await closeAll(ctx, [client, watcher]);
  });
}
