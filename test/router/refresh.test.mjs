// Refreshing a live session and session expiry (docs/protocol.md,
// "Refreshing a session"): the `refresh` message runs the authentication hook
// again without replacing the session; an expiry set by the server pushes
// `expiring` before it and closes the session with 4001 at it. Small expiry
// values keep the tests short; they assert order (notice before close), never
// durations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, TestClient, login, legacyLogin, closeAll } from './helpers.mjs';
import { connect, cut, recoveryServer, resumeOf, shutdown } from './recovery-helpers.mjs';
import { within, until } from '../helpers/wait.mjs';

/**
 * A hook taking `{ name, ttl, groups }`; names in `revoked` are refused.
 * `sessions` collects every started Session by id; `calls` every hook run.
 */
async function expiryServer(options = {}) {
  const revoked = new Set();
  const sessions = new Map();
  const calls = [];
  const closes = [];
  const ctx = await startServer((s) => {
    s.onAuthentication((c, start, respond) => {
      calls.push(c);
      if (!c || revoked.has(c.name)) return respond('revoked');
      start({ name: c.name }, c.groups ?? [], c.name, true, null, { expiresIn: c.ttl ?? null });
      respond(null, { welcome: c.name, n: calls.length });
    });
    s.on('session', (session) => sessions.set(session.id, session));
    s.onConnectionClose((session, code, reason) => closes.push({ id: session.id, code, reason }));
  }, options);
  return Object.assign(ctx, { revoked, sessions, calls, closes });
}

test('refresh re-runs the authentication hook and keeps the session as it was', async () => {
  const ctx = await expiryServer();
  const c = await login(ctx.url, { name: 'ana', groups: ['staff'] });
  const session = ctx.sessions.get(c.self.id);
  const answer = await c.ok('refresh', { credentials: { name: 'bob', groups: ['other'] } });
  assert.deepEqual(answer, { session: { welcome: 'bob', n: 2 }, expiresIn: null });
  assert.deepEqual(ctx.calls.at(-1), { name: 'bob', groups: ['other'] }, 'the hook saw the new credentials');
  // What the hook passed to startSession() on the refresh is not applied.
  assert.equal(ctx.server.getSession(c.self.id), session);
  assert.equal(ctx.server.sessionCount, 1);
  assert.deepEqual(session.data, { name: 'ana' });
  assert.deepEqual(session.groupList(), ['staff']);
  assert.equal(session.alias, 'ana');
  await closeAll(ctx, [c]);
});

test('a refused refresh answers auth_failed and the session goes on', async () => {
  const ctx = await expiryServer();
  const c = await login(ctx.url, { name: 'ana' });
  ctx.revoked.add('ana');
  const refused = await c.send('refresh', { credentials: { name: 'ana' } });
  assert.equal(refused.type, 'error');
  assert.deepEqual(refused.error, { code: 'auth_failed', message: 'revoked' });
  assert.equal(ctx.server.sessionCount, 1);
  assert.equal((await c.send('clients')).type, 'reply', 'the session still works');
  await closeAll(ctx, [c]);
});

test('a refresh before authentication is not_authenticated and runs no hook', async () => {
  const ctx = await expiryServer();
  const c = await TestClient.connect(ctx.url);
  const answer = await c.send('refresh', { credentials: { name: 'ana' } });
  assert.equal(answer.type, 'error');
  assert.equal(answer.error.code, 'not_authenticated');
  assert.equal(ctx.calls.length, 0);
  assert.equal(ctx.server.sessionCount, 0);
  await closeAll(ctx, [c]);
});

test('a session with an expiry is told `expiring` first, then closed with 4001 unless refreshed', async () => {
  const ctx = await expiryServer({ refreshNotice: 100 });
  const c = await TestClient.connect(ctx.url);
  const answer = await c.auth({ name: 'ana', ttl: 300 });
  assert.equal(answer.type, 'reply');
  assert.ok(answer.data.expiresIn > 0 && answer.data.expiresIn <= 300, 'the auth answer says how long the session lasts');
  const closed = await within(c.closed, 'the expiry close');
  assert.deepEqual(closed, { code: 4001, reason: 'Session expired' });
  const notices = c.raw.map((t) => JSON.parse(t)).filter((m) => m.type === 'expiring');
  assert.equal(notices.length, 1, 'one notice, before the close');
  assert.ok(notices[0].in > 0 && notices[0].in <= 100, 'the notice comes at most refreshNotice before the expiry');
  await until(() => ctx.closes.length === 1, 'onConnectionClose');
  assert.deepEqual(ctx.closes[0], { id: answer.data.self.id, code: 4001, reason: 'Session expired' });
  await ctx.server.close();
});

test('a notice comes at a third of the remaining time when that is shorter than refreshNotice', async () => {
  const ctx = await expiryServer(); // refreshNotice: 30 000 by default
  const c = await login(ctx.url, { name: 'ana', ttl: 150 });
  const notice = await c.next((m) => m.type === 'expiring', 'expiring');
  assert.ok(notice.in > 0 && notice.in <= 50, `notice.in ${notice.in} is at most a third of 150`);
  assert.equal((await within(c.closed, 'close')).code, 4001);
  await ctx.server.close();
});

test('a refresh sets a new expiry: the session gets a second notice instead of its close', async () => {
  const ctx = await expiryServer({ refreshNotice: 100 });
  const c = await login(ctx.url, { name: 'ana', ttl: 300 });
  await c.next((m) => m.type === 'expiring', 'the first notice');
  const refreshed = await c.ok('refresh', { credentials: { name: 'ana', ttl: 300 } });
  assert.ok(refreshed.expiresIn > 100 && refreshed.expiresIn <= 300);
  // Without the reset, the close would come before any second notice.
  await c.next((m) => m.type === 'expiring', 'the second notice');
  assert.equal(c.ws.readyState, 1, 'still open at the second notice');
  assert.equal((await within(c.closed, 'close')).code, 4001);
  await ctx.server.close();
});

test('a refresh whose hook gives no expiresIn lifts the expiry', async () => {
  const ctx = await expiryServer();
  const c = await login(ctx.url, { name: 'ana', ttl: 60_000 });
  const session = ctx.sessions.get(c.self.id);
  assert.ok(session.expiresIn > 0);
  const refreshed = await c.ok('refresh', { credentials: { name: 'ana' } });
  assert.equal(refreshed.expiresIn, null);
  assert.equal(session.expiresIn, null);
  await closeAll(ctx, [c]);
});

test('session.setExpiry(null) cancels an expiry; setExpiry(ms) sets one from server code', async () => {
  const ctx = await expiryServer({ refreshNotice: 50 });
  const kept = await login(ctx.url, { name: 'kept', ttl: 200 });
  ctx.sessions.get(kept.self.id).setExpiry(null);
  assert.equal(ctx.sessions.get(kept.self.id).expiresIn, null);
  // Started later with the same expiry: once it is closed, the first one would have been too.
  const later = await login(ctx.url, { name: 'later', ttl: 200 });
  assert.equal((await within(later.closed, 'the later close')).code, 4001);
  assert.equal(kept.ws.readyState, 1);
  assert.equal((await kept.send('clients')).type, 'reply');
  assert.ok(!kept.has((m) => m.type === 'expiring'), 'no notice for a cancelled expiry');
  // Server code may set one on a session that had none.
  const session = ctx.sessions.get(kept.self.id);
  session.setExpiry(90);
  assert.ok(session.expiresIn > 0 && session.expiresIn <= 90);
  assert.throws(() => session.setExpiry(-1), TypeError);
  assert.equal((await within(kept.closed, 'the close set by setExpiry')).code, 4001);
  assert.equal(session.expiresIn, 0, 'an expired session says so');
  await ctx.server.close();
});

test('startSession() with a bad expiresIn is a server error, never a session', async () => {
  const ctx = await expiryServer();
  const c = await TestClient.connect(ctx.url);
  const answer = await c.auth({ name: 'ana', ttl: -5 });
  assert.equal(answer.type, 'error');
  assert.equal(answer.error.code, 'internal_error');
  assert.equal(ctx.server.sessionCount, 0);
  await closeAll(ctx, [c]);
});

test('legacy protocol: no `refresh` action and no notice; an expiry set by the server still closes with 4001', async () => {
  const ctx = await expiryServer({ refreshNotice: 100 });
  const c = await legacyLogin(ctx.url, { name: 'old', ttl: 300 });
  const refresh = await c.call('refresh', 'x', { name: 'old' });
  const bogus = await c.call('nosuchaction', 'x', { name: 'old' });
  assert.deepEqual({ ...refresh, info: { ...refresh.info, packageID: 0 } }, { ...bogus, info: { ...bogus.info, action: 'refresh', packageID: 0 } });
  assert.equal(ctx.calls.length, 1, 'the hook ran for the login only');
  assert.equal((await within(c.closed, 'close')).code, 4001);
  assert.ok(!c.raw.some((t) => t.includes('expiring')), 'legacy clients get no expiring push');
  await ctx.server.close();
});

test('session recovery: a retained session keeps its expiry; a resume after it is a fresh session', async () => {
  const ctx = await recoveryServer(true, {}, (s) => {
    s.onAuthentication((c, start, respond) => {
      start({ name: c.name }, [], c.name, true, null, { expiresIn: c.ttl ?? null });
      respond(null, { welcome: c.name });
    });
  });
  const a = await connect(ctx, { name: 'ana', ttl: 150 });
  await cut(ctx, a);
  // Ended by its expiry while no connection held it.
  await until(() => ctx.closes.some((e) => e.id === a.self.id), 'the retained session to end');
  const back = await connect(ctx, { name: 'ana' }, resumeOf(a));
  assert.equal(back.answer.type, 'reply');
  assert.equal(back.answer.data.resumed, false);
  assert.notEqual(back.self.id, a.self.id);
  await shutdown(ctx, [back]);
});

test('session recovery: a resume before the expiry keeps it; one whose session expires meanwhile is refused', async () => {
  let session = null;
  let entered = 0;
  const ctx = await recoveryServer(true, {}, (s) => {
    s.onAuthentication(async (c, start, respond) => {
      entered++;
      if (ctx.hold !== null) await ctx.hold;
      start({ name: c.name }, [], c.name, true, null, { expiresIn: c.ttl ?? null });
      respond(null, { welcome: c.name });
    });
    s.on('session', (started) => (session = started));
  });
  const a = await connect(ctx, { name: 'ana', ttl: 60_000 });
  await cut(ctx, a);
  const back = await connect(ctx, { name: 'ana' }, resumeOf(a));
  assert.equal(back.answer.data.resumed, true);
  assert.ok(back.answer.data.expiresIn > 0 && back.answer.data.expiresIn <= 60_000, 'the resumed session kept its expiry');
  // Now an expiry that passes while the hook of a resume is running.
  await cut(ctx, back);
  let release;
  ctx.hold = new Promise((resolve) => (release = resolve));
  const before = entered;
  const again = TestClient.connect(ctx.proxy.url).then(async (client) => {
    client.answer = await client.send('auth', { credentials: { name: 'ana' }, resume: resumeOf(back) });
    return client;
  });
  await until(() => entered > before, 'the resume to reach the hook');
  session.setExpiry(10);
  await until(() => session.expiresIn === 0, 'the expiry to pass');
  release();
  const refused = await again;
  assert.equal(refused.answer.type, 'error');
  assert.deepEqual(refused.answer.error, { code: 'auth_failed', message: 'the session expired' });
  await until(() => ctx.closes.some((e) => e.id === a.self.id), 'the session to end');
  await shutdown(ctx, [refused]);
});

test("the hook's context says login, resume or refresh, with the session a resume or refresh is for", async () => {
  const seen = [];
  const ctx = await recoveryServer(true, {}, (s) => {
    s.onAuthentication((c, start, respond, req, context) => {
      seen.push({ kind: context.kind, session: context.session?.id ?? null, req: req === null ? null : typeof req.headers });
      start({ name: c.name }, [], c.name, true, null);
      respond(null, { welcome: c.name });
    });
  });
  const a = await connect(ctx, { name: 'ana' });
  await a.ok('refresh', { credentials: { name: 'ana' } });
  await cut(ctx, a);
  const back = await connect(ctx, { name: 'ana' }, resumeOf(a));
  assert.equal(back.answer.data.resumed, true);
  assert.deepEqual(seen, [
    { kind: 'login', session: null, req: 'object' },
    { kind: 'refresh', session: a.self.id, req: null },
    { kind: 'resume', session: a.self.id, req: 'object' },
  ]);
  await shutdown(ctx, [back]);
});

test('session recovery: a client that resumes after its notice was due is told `expiring` again', async () => {
  let session = null;
  const ctx = await recoveryServer(true, { refreshNotice: 60_000 }, (s) => {
    s.on('session', (started) => (session = started));
  });
  const a = await connect(ctx, { name: 'ana' });
  await cut(ctx, a);
  // Retained: a 3 s expiry is noticed a third before it, at 2 s, while no connection holds the session.
  session.setExpiry(3000);
  await until(() => session.expiresIn !== null && session.expiresIn < 900, 'the notice to fall due', 5000);
  const back = await connect(ctx, { name: 'ana' }, resumeOf(a));
  assert.equal(back.answer.data.resumed, true);
  const notice = await within(back.next((m) => m.type === 'expiring'), 'the notice after the resume');
  assert.ok(notice.in > 0 && notice.in < 900, `the notice says what is left (${notice.in} ms)`);
  await shutdown(ctx, [back]);
});
