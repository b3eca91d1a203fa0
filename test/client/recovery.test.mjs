// Session recovery, the client's side, against a scripted server on an
// in-memory WebSocket (fake-socket.mjs): the server answers `auth` with a
// recovery token, pushes carry their stream position (`pos`), and after a
// reconnect the client asks to resume with the session id, the token and the
// last position it delivered per stream. No network, no real server.
import { test, describe, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketNodeClient, ServerError } from '../../dist/esm/client/index.js';
import { fakeTransport } from './fake-socket.mjs';
import { recordStates } from './states.mjs';
import { until, sleep } from '../helpers/wait.mjs';

const fast = { initialDelay: 10, maxDelay: 20 };
const T1 = 'A'.repeat(43);
const T2 = 'B'.repeat(43);
const T3 = 'C'.repeat(43);

// Closed after each test, passed or failed: a client left reconnecting to
// sockets nobody opens would keep retrying and the run would never end.
let clients = [];
afterEach(async () => {
  for (const c of clients) await c.close();
  clients = [];
});

function make(options = {}) {
  const t = fakeTransport();
  const client = new WebSocketNodeClient('ws://example.test/app', { WebSocket: t.factory, reconnect: fast, ...options });
  clients.push(client);
  return { t, client };
}

const self = (id, groups = []) => ({ id, alias: null, available: true, publicData: null, connected: true, groups });

/**
 * Opens the current fake socket and answers its `auth` as the server does
 * with recovery on (`token`), or without it (`token: null`). Returns the
 * auth message the client sent.
 */
async function openAndAuth(t, { id = 's1', groups = [], token = T1, resumed, recovered } = {}) {
  t.last.serverOpen();
  await sleep();
  const auth = t.last.messages.find((m) => m.type === 'auth');
  assert.ok(auth, 'the client must authenticate');
  const data = { self: self(id, groups), session: { name: 'ana' }, limits: { maxInflight: 0, rate: null, maxPayload: 1 << 20 } };
  if (token !== null) Object.assign(data, { resumed: resumed ?? false, recovered: recovered ?? false, recovery: { token, ttl: 120_000 } });
  t.last.serverReply(auth.id, data);
  return auth;
}

/** A push as the server renders it: an event to everyone or a group, or a private message, with its position. */
function event(t, s, e, o, data = o, group = s.startsWith('g:') ? s.slice(2) : null) {
  t.last.serverSend({ type: 'event', event: 'chat', group, data, from: { id: 'other', alias: 'bo' }, pos: { s, e, o } });
}
function message(t, s, e, o, data = o) {
  t.last.serverSend({ type: 'message', from: { id: 'other', alias: 'bo' }, data, pos: { s, e, o } });
}

/** Everything the app sees, in order: states, events and private messages. */
function record(client) {
  const log = [];
  client.onState((e) => log.push(e.state === 'authenticated' ? `authenticated resumed=${e.resumed} recovered=${e.recovered}` : e.state));
  client.on('chat', (data, meta) => log.push(`event ${meta.group ?? '-'} ${data}`));
  client.onMessage((data) => log.push(`message ${data}`));
  return log;
}

/** Drops the connection (1006) and waits for the client's next WebSocket. */
async function lose(t) {
  const n = t.sockets.length;
  t.last.serverClose(1006);
  await until(() => t.sockets.length === n + 1, 'a reconnection attempt');
}

describe('client recovery', () => {
  test('after a reconnect, auth carries resume: the session id, the token and the last position delivered per stream', async () => {
    const { t, client } = make({ credentials: { user: 'ana' } });
    const first = await openAndAuth(t, { groups: ['room'] });
    assert.equal('resume' in first, false, 'the first login resumes nothing');
    event(t, 'all', 'E1', 1);
    event(t, 'all', 'E1', 2);
    event(t, 'g:room', 'G1', 5);
    message(t, 'u:s1', 'U1', 3);
    await lose(t);
    const auth = await openAndAuth(t, { groups: ['room'], token: T2, resumed: true, recovered: true });
    assert.deepEqual(auth.credentials, { user: 'ana' }, 'the stored credentials go with it');
    assert.deepEqual(auth.resume, {
      session: 's1',
      token: T1,
      positions: { all: { e: 'E1', o: 2 }, 'g:room': { e: 'G1', o: 5 }, 'u:s1': { e: 'U1', o: 3 } },
    });
    assert.equal(client.id, 's1', 'a resumed session keeps its id');
    // The next resume uses the token of the last answer.
    await lose(t);
    const again = await openAndAuth(t, { groups: ['room'], token: T3, resumed: true, recovered: true });
    assert.equal(again.resume.token, T2);
    await client.close();
  });

  test('replayed pushes follow the authenticated state (recovered: true), each delivered once and in order', async () => {
    const { t, client } = make({ credentials: { user: 'ana' } });
    await openAndAuth(t, { groups: ['room'] });
    event(t, 'all', 'E1', 1);
    event(t, 'g:room', 'G1', 1);
    await lose(t);
    const log = record(client);
    await openAndAuth(t, { groups: ['room'], token: T2, resumed: true, recovered: true });
    // The server's replay, merged in the original order, with an overlap it should not have sent.
    event(t, 'all', 'E1', 1); // delivered before the loss
    event(t, 'all', 'E1', 2);
    event(t, 'g:room', 'G1', 2);
    message(t, 'u:s1', 'U1', 1);
    event(t, 'all', 'E1', 3);
    event(t, 'all', 'E1', 2); // an overlap again
    event(t, 'g:room', 'G1', 3); // live, after the replay
    assert.deepEqual(log, [
      'open',
      'authenticated resumed=true recovered=true',
      'event - 2',
      'event room 2',
      'message 1',
      'event - 3',
      'event room 3',
    ]);
    await client.close();
  });

  test('a push at or before the stored offset of its stream (same epoch) is dropped; a new epoch is accepted', async () => {
    const { t, client } = make({ credentials: { user: 'ana' } });
    await openAndAuth(t, { groups: ['room'] });
    const log = record(client);
    event(t, 'all', 'E1', 1);
    event(t, 'all', 'E1', 2);
    event(t, 'all', 'E1', 2); // same offset
    event(t, 'all', 'E1', 1); // lower offset
    event(t, 'g:room', 'G1', 2); // another stream counts on its own
    message(t, 'u:s1', 'U1', 2);
    message(t, 'u:s1', 'U1', 2); // a private message too
    event(t, 'all', 'E2', 1); // the stream started over: a new epoch
    event(t, 'all', 'E2', 1);
    event(t, 'all', 'E2', 2);
    // Pushes without a position (or an unreadable one) cannot be duplicates: delivered.
    t.last.serverSend({ type: 'event', event: 'chat', group: null, data: 'no pos' });
    t.last.serverSend({ type: 'event', event: 'chat', group: null, data: 'bad pos', pos: { s: 'all', e: 'E2', o: 'x' } });
    assert.deepEqual(log, ['event - 1', 'event - 2', 'event room 2', 'message 2', 'event - 1', 'event - 2', 'event - no pos', 'event - bad pos']);
    await lose(t);
    const auth = await openAndAuth(t, { groups: ['room'] });
    assert.deepEqual(auth.resume.positions, { all: { e: 'E2', o: 2 }, 'g:room': { e: 'G1', o: 2 }, 'u:s1': { e: 'U1', o: 2 } });
    await client.close();
  });

  test('recovered: false clears the positions; a fresh session (resumed: false) is resumed next time under its new id', async () => {
    const { t, client } = make({ credentials: { user: 'ana' } });
    const states = recordStates(client);
    await openAndAuth(t);
    event(t, 'all', 'E1', 7);
    await lose(t);
    // Resumed, but the gap is not in history any more.
    await openAndAuth(t, { token: T2, resumed: true, recovered: false });
    const log = record(client);
    event(t, 'all', 'E1', 7); // counting starts again: nothing is held against it
    assert.deepEqual(log, ['event - 7']);
    await lose(t);
    const second = await openAndAuth(t, { id: 's2', token: T3, resumed: false, recovered: false });
    assert.deepEqual(second.resume, { session: 's1', token: T2, positions: { all: { e: 'E1', o: 7 } } });
    await lose(t);
    const third = await openAndAuth(t, { id: 's2', token: T1 });
    assert.deepEqual(third.resume, { session: 's2', token: T3, positions: {} }, 'the fresh session, from scratch');
    const auths = states.filter((s) => s.state === 'authenticated').map(({ reconnected, resumed, recovered }) => ({ reconnected, resumed, recovered }));
    assert.deepEqual(auths, [
      { reconnected: false, resumed: false, recovered: false },
      { reconnected: true, resumed: true, recovered: false },
      { reconnected: true, resumed: false, recovered: false },
      { reconnected: true, resumed: false, recovered: false },
    ]);
    await client.close();
  });

  test('an explicit authenticate() is a fresh login: no resume, and what was stored is replaced', async () => {
    const { t, client } = make();
    const states = recordStates(client);
    t.last.serverOpen();
    const login = client.authenticate({ user: 'ana' });
    const auth = t.last.messages.find((m) => m.type === 'auth');
    assert.equal('resume' in auth, false);
    t.last.serverReply(auth.id, { self: self('s1'), session: { name: 'ana' }, resumed: false, recovered: false, recovery: { token: T1, ttl: 1000 } });
    await login;
    event(t, 'all', 'E1', 4);
    await lose(t);
    // The app logs in as someone else while the client reconnects: that login goes first, fresh.
    const relogin = client.authenticate({ user: 'bob' });
    t.last.serverOpen();
    await sleep();
    const explicit = t.last.messages.filter((m) => m.type === 'auth');
    assert.equal(explicit.length, 1, 'no automatic login besides the explicit one');
    assert.deepEqual(explicit[0].credentials, { user: 'bob' });
    assert.equal('resume' in explicit[0], false, 'an explicit login never resumes');
    // Even a server that claims a resume of it is not believed: nothing was asked.
    t.last.serverReply(explicit[0].id, { self: self('s2'), session: { name: 'bob' }, resumed: true, recovered: true, recovery: { token: T2, ttl: 1000 } });
    await relogin;
    assert.deepEqual(states.filter((s) => s.state === 'authenticated').map((s) => [s.resumed, s.recovered]), [[false, false], [false, false]]);
    await lose(t);
    const auto = await openAndAuth(t, { id: 's2' });
    assert.deepEqual(auto.credentials, { user: 'bob' });
    assert.deepEqual(auto.resume, { session: 's2', token: T2, positions: {} }, 'old positions were cleared by the fresh login');
    await client.close();
  });

  test('close() sends 1000 and forgets token and positions: connect() then logs in fresh', async () => {
    const { t, client } = make({ credentials: { user: 'ana' } });
    await openAndAuth(t);
    event(t, 'all', 'E1', 1);
    const socket = t.last;
    await client.close();
    assert.deepEqual(socket.closedWith, { code: 1000, reason: '' }, 'a deliberate leave');
    client.connect();
    const auth = await openAndAuth(t);
    assert.equal('resume' in auth, false);
    // And a push at the old position is delivered, not taken for a duplicate.
    const log = record(client);
    event(t, 'all', 'E1', 1);
    assert.deepEqual(log, ['event - 1']);
    await client.close();
  });

  test('closed for good by the server, then connect(): fresh, no resume', async () => {
    const { t, client } = make({ credentials: { user: 'ana' } });
    await openAndAuth(t);
    event(t, 'all', 'E1', 1);
    t.last.serverClose(1008, 'policy');
    await until(() => client.state === 'closed', 'closed');
    client.connect();
    const auth = await openAndAuth(t);
    assert.equal('resume' in auth, false);
    await client.close();
  });

  test('a server without recovery (no `recovery` in its answer): no resume after a reconnect', async () => {
    const { t, client } = make({ credentials: { user: 'ana' } });
    const states = recordStates(client);
    await openAndAuth(t, { token: null });
    t.last.serverSend({ type: 'event', event: 'chat', group: null, data: 1 });
    await lose(t);
    const auth = await openAndAuth(t, { token: null });
    assert.equal('resume' in auth, false);
    const last = states.filter((s) => s.state === 'authenticated').at(-1);
    assert.deepEqual([last.reconnected, last.resumed, last.recovered], [true, false, false]);
    await client.close();
  });

  test('a server that stops offering recovery (restarted without it): the old token is not used again', async () => {
    const { t, client } = make({ credentials: { user: 'ana' } });
    await openAndAuth(t, { token: T1 });
    await lose(t);
    const resumed = await openAndAuth(t, { id: 's2', token: null });
    assert.equal(resumed.resume.token, T1, 'asked, and answered without recovery');
    await lose(t);
    const auth = await openAndAuth(t, { id: 's3', token: null });
    assert.equal('resume' in auth, false);
    await client.close();
  });

  test('a server that cannot read the resume (bad_message): reported, and the next attempt logs in fresh', async () => {
    const { t, client } = make({ credentials: { user: 'ana' } });
    const errors = [];
    client.onError((e) => errors.push(e));
    await openAndAuth(t);
    await lose(t);
    t.last.serverOpen();
    await sleep();
    const refused = t.last.messages.find((m) => m.type === 'auth');
    assert.ok(refused.resume, 'a resume was asked');
    t.last.serverError(refused.id, 'bad_message', 'resume: bad shape');
    await until(() => t.sockets.length === 3, 'a new attempt');
    assert.ok(errors[0] instanceof ServerError && errors[0].code === 'bad_message');
    const auth = await openAndAuth(t, { id: 's2' });
    assert.equal('resume' in auth, false);
    assert.equal(client.state, 'authenticated');
    await client.close();
  });

  test('leave() drops its group position; a recovered answer drops streams the session is no longer in', async () => {
    const { t, client } = make({ credentials: { user: 'ana' } });
    await openAndAuth(t);
    const joining = client.join('room');
    t.last.serverReply(t.last.messages.at(-1).id, { group: 'room', joined: true });
    await joining;
    event(t, 'g:room', 'G1', 1);
    event(t, 'g:side', 'S1', 1); // a group the server put it in
    event(t, 'all', 'E1', 1);
    const leaving = client.leave('room');
    t.last.serverReply(t.last.messages.at(-1).id, { group: 'room', joined: false });
    await leaving;
    await lose(t);
    const auth = await openAndAuth(t, { token: T2, groups: [], resumed: true, recovered: true });
    assert.deepEqual(auth.resume.positions, { all: { e: 'E1', o: 1 }, 'g:side': { e: 'S1', o: 1 } });
    // The server's answer says the session is in no group: g:side is not resumed again.
    await lose(t);
    const next = await openAndAuth(t, { token: T3, groups: [], resumed: true, recovered: true });
    assert.deepEqual(next.resume.positions, { all: { e: 'E1', o: 1 } });
    await client.close();
  });

  test('a recovered answer that lists no groups prunes nothing: group positions are kept', async () => {
    const { t, client } = make({ credentials: { user: 'ana' } });
    await openAndAuth(t, { groups: ['room'] });
    event(t, 'g:room', 'G1', 4);
    await lose(t);
    t.last.serverOpen();
    await sleep();
    const auth = t.last.messages[0];
    const { groups, ...noGroups } = self('s1', ['room']);
    t.last.serverReply(auth.id, { self: noGroups, session: null, resumed: true, recovered: true, recovery: { token: T2, ttl: 1000 } });
    const log = record(client);
    event(t, 'g:room', 'G1', 4); // still known as delivered
    assert.deepEqual(log, []);
    await lose(t);
    const next = await openAndAuth(t, { groups: ['room'], token: T3, resumed: true, recovered: true });
    assert.deepEqual(next.resume.positions, { 'g:room': { e: 'G1', o: 4 } });
    await client.close();
  });

  test('presence after a resume starts from nothing, as after a fresh login: clients() refreshes it', async () => {
    const { t, client } = make({ credentials: { user: 'ana' } });
    const changes = [];
    client.onPresence((c, change) => changes.push(`${c.id} ${change}`));
    await openAndAuth(t);
    const bo = { id: 'bo', alias: 'bo', available: true, publicData: null, connected: true };
    t.last.serverSend({ type: 'presence', client: bo });
    await lose(t);
    // The documented re-sync: ask for the list when authenticated again.
    const lists = [];
    client.onState((e) => {
      if (e.state === 'authenticated') lists.push(client.clients());
    });
    await openAndAuth(t, { token: T2, resumed: true, recovered: true });
    // Presence is not replayed: what was known before the loss is not assumed still true.
    t.last.serverSend({ type: 'presence', client: bo });
    assert.deepEqual(changes, ['bo connect', 'bo connect']);
    const ask = t.last.messages.find((m) => m.type === 'clients');
    assert.ok(ask, 'the list was asked for');
    const cy = { ...bo, id: 'cy', alias: 'cy' };
    t.last.serverReply(ask.id, [bo, cy]);
    assert.deepEqual(await lists[0], [bo, cy]);
    // Known again from the list: an unchanged snapshot is no change, a new alias is one.
    t.last.serverSend({ type: 'presence', client: cy });
    t.last.serverSend({ type: 'presence', client: { ...cy, alias: 'cyd' } });
    assert.deepEqual(changes, ['bo connect', 'bo connect', 'cy alias']);
    await client.close();
  });
});
