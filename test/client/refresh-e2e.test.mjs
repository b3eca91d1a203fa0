// Refresh end to end: our client (WebSocketNodeClient) against the real
// server with short session expiries. The server pushes `expiring`, the
// client fetches fresh credentials and refreshes on the same connection, and
// the session outlives several expiries without a reconnection; when the
// credentials are revoked the session is closed with 4001 and the client's
// next login is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketNodeClient } from '../../dist/esm/client/index.js';
import { startServer } from '../router/helpers.mjs';
import { until } from '../helpers/wait.mjs';

test('our client keeps a session alive across expiries by refreshing, until its user is revoked', async () => {
  const revoked = new Set();
  const refreshes = [];
  const closes = [];
  const ctx = await startServer((s) => {
    s.onAuthentication((c, start, respond) => {
      if (revoked.has(c.name)) return respond('revoked');
      refreshes.push(c.version);
      start({ name: c.name }, [], c.name, true, null, { expiresIn: 150 });
      respond(null, { name: c.name, version: c.version });
    });
    s.onConnectionClose((session, code) => closes.push(code));
  }, { refreshNotice: 60 });
  let version = 0;
  const client = new WebSocketNodeClient(ctx.url, { credentials: () => ({ name: 'ana', version: ++version }), reconnect: { initialDelay: 10, maxDelay: 20, maxAttempts: 2 } });
  const errors = [];
  client.onError((e) => errors.push(e));
  const states = [];
  client.onState((e) => states.push(e.state));
  await client.authenticate();
  const id = client.self.id;
  // Three refreshes in a row: each one came before the previous expiry, or the session would have closed.
  await until(() => client.session?.version >= 4, 'three refreshes answered');
  assert.equal(client.self.id, id, 'the same session');
  assert.equal(client.state, 'authenticated');
  assert.deepEqual(closes, [], 'never expired');
  assert.deepEqual(states.filter((s) => s === 'authenticated'), ['authenticated'], 'one login, no reconnection');
  // Revoked: the next refresh is refused (onError), the session expires (4001), the fresh login is refused.
  revoked.add('ana');
  await until(() => closes.includes(4001), 'the expiry close');
  await until(() => client.state === 'closed', 'the client to give up on refused credentials');
  assert.ok(errors.some((e) => e.code === 'refresh'), 'the refused refresh was reported');
  await client.close();
  await ctx.server.close();
});
