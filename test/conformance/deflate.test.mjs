// Server conformance of permessage-deflate (RFC 7692): the cases of
// ./cases/deflate.mjs (groups 12 and 13 of the fuzzing-client model) over
// raw TCP against echo servers of this package and of the `ws` package,
// like server.test.mjs. CONFORMANCE_TARGET=ours or =ws runs only that one.
// Ours must get OK on every case; `ws` may get NON-STRICT only for closing a
// failed connection with a reset (RFC 6455 §7.1.7), as in server.test.mjs.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEchoServer } from '../helpers/servers.mjs';
import { runCase } from '../helpers/conformance-runner.mjs';
import groups, { deflateServerOptions } from './cases/deflate.mjs';

const ours = await import(new URL('../../dist/esm/index.js', import.meta.url).href);
const ws = await import('ws');
const ALL = [
  { name: 'ws-node-server', key: 'ours', WebSocketServer: ours.WebSocketServer, strict: true },
  { name: 'ws', key: 'ws', WebSocketServer: ws.WebSocketServer, strict: false },
];
const requested = process.env.CONFORMANCE_TARGET;
const targets = requested ? ALL.filter((t) => t.key === requested) : ALL;
if (!targets.length) throw new Error(`CONFORMANCE_TARGET must be "ours" or "ws", got "${requested}"`);

for (const target of targets) {
  describe(`permessage-deflate conformance (${target.name})`, () => {
    const servers = {};
    before(async () => {
      for (const [name, options] of Object.entries(deflateServerOptions)) {
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
            const result = await runCase(full, servers[c.server]);
            if (result.verdict === 'NON-STRICT') t.diagnostic(`NON-STRICT: ${result.note}`);
            if (target.strict) assert.equal(result.verdict, 'OK', result.note);
            else if (result.verdict !== 'OK') assert.match(result.note, /not a FIN/, result.note);
          });
        }
      });
    }
  });
}
