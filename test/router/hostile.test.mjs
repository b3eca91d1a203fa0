// Hostile and malformed input: each gets a precise answer, changes no state,
// and the server keeps serving everyone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, login, simpleAuth, closeAll, TestClient } from './helpers.mjs';
import { within } from '../helpers/wait.mjs';

async function setup(options) {
  const handled = [];
  const ctx = await startServer((s) => {
    simpleAuth(s);
    s.onRequest('merge', (body) => {
      handled.push(body);
      return Object.assign({}, body).polluted ?? 'clean';
    });
    s.onGroupChange(() => true);
  }, options);
  return { ctx, handled };
}

test('malformed v1 messages get bad_message or unknown_type and change nothing', async () => {
  const { ctx, handled } = await setup();
  const c = await login(ctx.url, { name: 'ana', groups: ['g'] });
  const cases = [
    ['not json', null, 'bad_message'],
    ['[1,2,3]', null, 'bad_message'],
    ['"text"', null, 'bad_message'],
    ['{"type":"request","name":"merge"}', null, 'bad_message'],
    ['{"type":"request","id":{"x":1},"name":"merge"}', null, 'bad_message'],
    ['{"type":"request","id":1.5,"name":"merge"}', null, 'bad_message'],
    [`{"type":"request","id":"${'i'.repeat(200)}","name":"merge"}`, null, 'bad_message'],
    ['{"type":"request","id":7,"name":42}', 7, 'bad_message'],
    ['{"type":"request","id":8}', 8, 'bad_message'],
    ['{"type":42,"id":9}', 9, 'bad_message'],
    ['{"type":"teleport","id":10}', 10, 'unknown_type'],
    ['{"type":"broadcast","id":11,"event":""}', 11, 'bad_message'],
    ['{"type":"broadcast","id":12,"event":"e","group":5}', 12, 'bad_message'],
    ['{"type":"message","id":13,"to":"b"}', 13, 'bad_message'],
    ['{"type":"message","id":14,"to":{"id":7}}', 14, 'bad_message'],
    ['{"type":"join","id":15,"group":["admin"]}', 15, 'bad_message'],
    ['{"type":"update","id":16,"available":"yes"}', 16, 'bad_message'],
    ['{"type":"update","id":17,"alias":""}', 17, 'bad_message'],
    ['{"type":"update","id":18}', 18, 'bad_message'],
    [`{"type":"join","id":19,"group":"${'g'.repeat(300)}"}`, 19, 'bad_message'],
  ];
  for (const [text, id, code] of cases) {
    c.sendRaw(text);
    const answer = await c.next((m) => m.type === 'error' && m.id === id, `error for ${text.slice(0, 40)}`);
    assert.equal(answer.error.code, code, text.slice(0, 60));
    assert.equal(typeof answer.error.message, 'string');
  }
  assert.deepEqual(handled, []);
  const s = ctx.server.getSession(c.self.id);
  assert.equal(s.alias, 'ana');
  assert.equal(s.available, true);
  assert.deepEqual([...s.groups], ['g']);
  assert.equal(await c.ok('request', { name: 'merge', data: {} }), 'clean');
  await closeAll(ctx, [c]);
});

test('__proto__, constructor and prototype keys are refused anywhere in a message', async () => {
  const { ctx, handled } = await setup();
  const c = await login(ctx.url, { name: 'ana' });
  const payloads = [
    '{"type":"request","id":1,"name":"merge","data":{"__proto__":{"polluted":"yes"}}}',
    '{"type":"request","id":2,"name":"merge","data":{"a":[{"b":{"constructor":{"prototype":{"polluted":1}}}}]}}',
    '{"__proto__":{"type":"request"},"type":"request","id":3,"name":"merge"}',
    '{"type":"auth","id":4,"credentials":{"prototype":1}}',
  ];
  for (const [i, text] of payloads.entries()) {
    c.sendRaw(text);
    const answer = await c.next((m) => m.type === 'error' && m.id === i + 1, `refusal ${i}`);
    assert.equal(answer.error.code, 'bad_message');
    assert.match(answer.error.message, /not allowed/);
  }
  assert.deepEqual(handled, []);
  assert.equal({}.polluted, undefined);
  assert.equal(Object.prototype.polluted, undefined);
  await closeAll(ctx, [c]);
});

test('deeply nested messages are refused without overflowing the stack', async () => {
  const { ctx, handled } = await setup({ maxDepth: 16 });
  const c = await login(ctx.url, { name: 'ana' });
  const deep = '['.repeat(100000) + ']'.repeat(100000);
  c.sendRaw(`{"type":"request","id":1,"name":"merge","data":${deep}}`);
  const answer = await c.next((m) => m.type === 'error');
  assert.equal(answer.error.code, 'bad_message');
  assert.match(answer.error.message, /nested deeper than 16/);
  assert.equal(await c.ok('request', { name: 'merge', data: { a: { b: { c: 1 } } } }), 'clean');
  assert.equal(handled.length, 1);
  await closeAll(ctx, [c]);
});

test('binary frames are refused with bad_message', async () => {
  const { ctx } = await setup();
  const c = await login(ctx.url, { name: 'ana' });
  c.ws.send(Buffer.from('{"type":"clients","id":1}'), { binary: true });
  const answer = await c.next((m) => m.type === 'error');
  assert.deepEqual(answer, { type: 'error', id: null, error: { code: 'bad_message', message: 'binary messages are not part of the protocol' } });
  await closeAll(ctx, [c]);
});

test('a message over maxPayload closes that connection with 1009; others carry on', async () => {
  const { ctx } = await setup({ maxPayload: 64 * 1024 });
  const victim = await login(ctx.url, { name: 'big' });
  const other = await login(ctx.url, { name: 'other' });
  victim.sendRaw(JSON.stringify({ type: 'request', id: 1, name: 'merge', data: 'x'.repeat(70 * 1024) }));
  assert.equal((await within(victim.closed, '1009 close')).code, 1009);
  assert.equal(await other.ok('request', { name: 'merge', data: {} }), 'clean');
  await closeAll(ctx, [other]);
});

test('the default maxPayload is 1 MiB', async () => {
  const { ctx } = await setup();
  const c = await login(ctx.url, { name: 'ana' });
  const fits = await c.ok('request', { name: 'merge', data: { s: 'x'.repeat(1024 * 1024 - 200) } });
  assert.equal(fits, 'clean');
  c.sendRaw(JSON.stringify({ type: 'request', id: 'big', name: 'merge', data: 'x'.repeat(1024 * 1024) }));
  assert.equal((await within(c.closed, '1009 close')).code, 1009);
  await ctx.server.close();
});

test('a flood of garbage from several clients at once leaves the server serving', async () => {
  const { ctx, handled } = await setup();
  const attackers = await Promise.all([1, 2, 3].map(() => TestClient.connect(ctx.url)));
  const good = await login(ctx.url, { name: 'good' });
  const junk = ['', '{', 'null', '{"type":"auth"}', '{"id":1}', '\u0000\u0001', '{"type":"request","id":1,"name":"merge"}'];
  for (const a of attackers) for (let i = 0; i < 50; i++) a.sendRaw(junk[i % junk.length]);
  for (const a of attackers) {
    // Each attacker's last message gets its answer: the junk before it was all handled.
    a.sendRaw('{"type":"clients","id":"last"}');
    assert.equal((await a.next((m) => m.id === 'last')).error.code, 'not_authenticated');
  }
  assert.deepEqual(handled, []);
  assert.equal(ctx.server.sessionCount, 1);
  assert.equal(await good.ok('request', { name: 'merge', data: {} }), 'clean');
  assert.equal(ctx.errors.length, 0);
  await closeAll(ctx, [good, ...attackers]);
});
