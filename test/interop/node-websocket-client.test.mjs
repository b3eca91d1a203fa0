// Our server with Node's built-in WebSocket client, run in a child process
// (Node 20 needs --experimental-websocket).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, targetName } from '../helpers/target.mjs';
import { listen, closeServer } from '../helpers/servers.mjs';
import { record } from '../helpers/client-log.mjs';

const script = fileURLToPath(new URL('../helpers/node-ws-client.mjs', import.meta.url));
const flags = Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-websocket', '--no-warnings'] : [];

function runNodeClient(args) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...flags, script, ...args], { timeout: 15000 }, (err, stdout, stderr) => {
      const line = stdout.trim().split('\n').pop();
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`node client printed no result (${err?.message ?? 'no error'}): ${stdout} ${stderr}`));
      }
    });
  });
}

describe(`${targetName} server <-> Node built-in WebSocket client`, () => {
  test('text, binary and a 200 kB message echoed; client closes with 4000 and a reason', { timeout: 20000 }, async () => {
    const wss = await listen(WebSocketServer, { handleProtocols: (set) => (set.has('chat.v2') ? 'chat.v2' : false) });
    const serverSide = [];
    wss.on('connection', (ws) => {
      const log = record(ws);
      serverSide.push(log);
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      ws.ping(Buffer.from('are you there'));
    });
    try {
      const r = await runNodeClient([`ws://127.0.0.1:${wss.address().port}/node`, 'echo', 'chat.v1,chat.v2']);
      assert.deepEqual(r.errors, []);
      assert.equal(r.open, true);
      assert.equal(r.protocol, 'chat.v2');
      assert.equal(r.messages.length, 3);
      assert.deepEqual(r.messages[0], { type: 'text', data: 'hello from node \u00b5\u{1f600}' });
      assert.equal(r.messages[1].type, 'binary');
      assert.equal(r.messages[1].data, '000102fdfeff');
      assert.equal(r.messages[2].type, 'binary');
      assert.equal(r.messages[2].length, 200000);
      assert.equal(r.messages[2].matchesBig, true);
      assert.deepEqual(r.close, { code: 4000, reason: 'done \u2713', wasClean: true });
      const s = serverSide[0];
      await s.waitFor(() => s.closeEvent !== null, 3000);
      assert.equal(s.closeEvent?.code, 4000);
      assert.equal(s.closeEvent.reason.toString(), 'done \u2713');
      assert.deepEqual(s.messages.map((m) => m.isBinary), [false, true, true]);
      assert.equal(s.pongs.length, 1, 'Node client should answer the server ping');
      assert.equal(s.pongs[0].toString(), 'are you there');
    } finally { await closeServer(wss); }
  });

  test('server closes with 4001 and a reason: the Node client sees a clean close', { timeout: 20000 }, async () => {
    const wss = await listen(WebSocketServer);
    wss.on('connection', (ws) => {
      ws.on('message', (data) => {
        if (data.toString() === 'please close') ws.close(4001, 'server says bye');
      });
    });
    try {
      const r = await runNodeClient([`ws://127.0.0.1:${wss.address().port}/`, 'server-close', '']);
      assert.deepEqual(r.errors, []);
      assert.equal(r.open, true);
      assert.equal(r.protocol, '');
      assert.deepEqual(r.close, { code: 4001, reason: 'server says bye', wasClean: true });
    } finally { await closeServer(wss); }
  });
});
