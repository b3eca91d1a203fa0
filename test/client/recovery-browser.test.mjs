// Session recovery in the browser build (dist/browser/client.global.js, the
// classic script), run in a VM context whose global WebSocket is the
// in-memory one of fake-socket.mjs: the bundle resumes and drops
// duplicates exactly as the Node client does, since they share the core.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { FakeSocket } from './fake-socket.mjs';
import { until, sleep } from '../helpers/wait.mjs';

const SCRIPT = new URL('../../dist/browser/client.global.js', import.meta.url);
const TOKEN = 'A'.repeat(43);
const NEXT = 'B'.repeat(43);

const clients = [];
after(async () => {
  for (const c of clients) await c.close();
});

test('the browser bundle resumes with the positions it delivered and drops a replayed duplicate', async () => {
  const made = [];
  class BrowserSocket extends FakeSocket {
    constructor(url, protocols) {
      super(url, protocols);
      made.push(this);
    }
  }
  const context = vm.createContext({ WebSocket: BrowserSocket, setTimeout, clearTimeout });
  vm.runInContext(readFileSync(SCRIPT, 'utf8'), context);
  const c = new context.WebSocketNodeClient('ws://example.test/', { credentials: { user: 'ana' }, reconnect: { initialDelay: 10, maxDelay: 20 } });
  clients.push(c);
  const log = [];
  c.onState((e) => e.state === 'authenticated' && log.push(`authenticated ${e.resumed} ${e.recovered}`));
  c.on('chat', (data) => log.push(`chat ${data}`));
  const self = { id: 's1', alias: null, available: true, publicData: null, connected: true, groups: [] };
  const answer = async (socket, extra) => {
    socket.serverOpen();
    await sleep();
    const auth = JSON.parse(socket.sent[0]);
    socket.serverReply(auth.id, { self, session: null, ...extra });
    return auth;
  };
  const push = (socket, o) => socket.serverSend({ type: 'event', event: 'chat', group: null, data: o, pos: { s: 'all', e: 'E', o } });

  await answer(made[0], { resumed: false, recovered: false, recovery: { token: TOKEN, ttl: 1000 } });
  push(made[0], 1);
  made[0].serverClose(1006);
  await until(() => made.length === 2, 'a reconnection attempt');
  const auth = await answer(made[1], { resumed: true, recovered: true, recovery: { token: NEXT, ttl: 1000 } });
  // JSON round trip: the object comes from another realm.
  assert.deepEqual(JSON.parse(JSON.stringify(auth.resume)), { session: 's1', token: TOKEN, positions: { all: { e: 'E', o: 1 } } });
  push(made[1], 1);
  push(made[1], 2);
  assert.deepEqual(log, ['authenticated false false', 'chat 1', 'authenticated true true', 'chat 2']);
  await c.close();
  assert.deepEqual(made[1].closedWith, { code: 1000, reason: '' });
});
