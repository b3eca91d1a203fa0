// Batches are flushed in slices: a write to more connections than one slice
// holds is handed to the kernel over several event-loop turns (so one big
// fan-out does not stall the loop), each connection's bytes in order, every
// connection served.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocketServer, WebSocket } from '../../dist/esm/index.js';

const CONNECTIONS = 1200; // more than two slices of 512
const cleanups = [];
after(() => cleanups.forEach((f) => f()));

test(`a write to ${CONNECTIONS} connections is flushed over several turns, in order, to every connection`, async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  cleanups.push(() => { for (const c of wss.clients) c.terminate(); wss.close(); });
  const url = `ws://127.0.0.1:${wss.address().port}`;
  const received = new Array(CONNECTIONS).fill(null).map(() => []);
  const clients = [];
  for (let i = 0; i < CONNECTIONS; i += 100) {
    const batch = Array.from({ length: 100 }, (_, k) => {
      const c = new WebSocket(url);
      c.on('message', (m) => received[i + k].push(Number(m.toString())));
      c.on('error', () => {});
      clients.push(c);
      return once(c, 'open');
    });
    await Promise.all(batch);
  }
  cleanups.push(() => clients.forEach((c) => c.terminate()));
  for (let i = 0; i < 100 && wss.clients.size < CONNECTIONS; i++) await new Promise((r) => setTimeout(r, 10));
  const servers = [...wss.clients];
  assert.equal(servers.length, CONNECTIONS);

  for (const ws of servers) ws.send('0');
  await new Promise((r) => setImmediate(r));
  // One turn later only the first slice has been handed to the kernel.
  const stillCorked = servers.filter((ws) => ws._socket.writableCorked > 0).length;
  assert.ok(stillCorked > 0 && stillCorked < CONNECTIONS, `${stillCorked} of ${CONNECTIONS} still corked after one turn`);
  // Later writes to connections still waiting join their batch, behind the earlier ones.
  for (const ws of servers) ws.send('1');
  await new Promise((r) => setImmediate(r));
  for (const ws of servers) ws.send('2');

  const done = () => received.every((r) => r.length === 3);
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  const wrong = received.filter((r) => r.join() !== '0,1,2');
  assert.equal(wrong.length, 0, `connections with missing or reordered messages: ${wrong.length}`);
});
