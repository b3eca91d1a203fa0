// The shape both server conformance files share (server.test.mjs for RFC
// 6455, deflate.test.mjs for RFC 7692): every case of `groups` over raw TCP
// against echo servers (one per entry of `serverOptions`) of this package
// and of the `ws` package. CONFORMANCE_TARGET=ours or =ws runs only that
// one. Ours must get OK on every case; for `ws`, `lenient(result)` checks
// what a verdict other than OK may be.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEchoServer } from '../helpers/servers.mjs';
import { runCase } from '../helpers/conformance-runner.mjs';

const ours = await import(new URL('../../dist/esm/index.js', import.meta.url).href);
const ws = await import('ws');
const ALL = [
  { name: 'ws-node-server', key: 'ours', WebSocketServer: ours.WebSocketServer, strict: true },
  { name: 'ws', key: 'ws', WebSocketServer: ws.WebSocketServer, strict: false },
];

export function serverSuites(title, serverOptions, groups, lenient) {
  const requested = process.env.CONFORMANCE_TARGET;
  const targets = requested ? ALL.filter((t) => t.key === requested) : ALL;
  if (!targets.length) throw new Error(`CONFORMANCE_TARGET must be "ours" or "ws", got "${requested}"`);
  for (const target of targets) {
    describe(`${title} (${target.name})`, () => {
      const servers = {};
      before(async () => {
        for (const [name, options] of Object.entries(serverOptions)) {
          servers[name] = await startEchoServer(target.WebSocketServer, options);
        }
      });
      after(async () => {
        for (const s of Object.values(servers)) await s.close();
      });
      for (const group of groups) {
        describe(group.title, () => {
          for (const c of group.cases) {
            test(`${c.id} ${c.title}`, { timeout: c.timeoutMs ?? 10000 }, async (t) => {
              const full = c.lazy ? { ...c, ...(await c.build()) } : c;
              const result = await runCase(full, servers[c.server ?? 'default']);
              if (result.verdict === 'NON-STRICT') t.diagnostic(`NON-STRICT: ${result.note}`);
              if (target.strict) assert.equal(result.verdict, 'OK', result.note);
              else lenient(result);
            });
          }
        });
      }
    });
  }
}
