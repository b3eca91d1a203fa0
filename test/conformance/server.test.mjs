// Server conformance: the cases in ./cases, modelled on the fuzzing-client
// case groups 1-7 and 9, run over raw TCP against an echo server built from
// the public API - of this package and of the `ws` package, so that a case
// too strict for a correct implementation shows up here.
// CONFORMANCE_TARGET=ours or =ws runs only that one.
//
// A FAILED verdict throws out of runCase. Our server must get OK on every
// case (it always takes the preferred behaviour); `ws` may get NON-STRICT
// where the RFC leaves the choice, reported as a diagnostic.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEchoServer } from '../helpers/servers.mjs';
import { runCase } from '../helpers/conformance-runner.mjs';
import { groups, serverOptions } from './cases/index.mjs';

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
  describe(`server conformance (${target.name})`, () => {
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
            const full = c.lazy ? { ...c, ...c.build() } : c;
            const result = await runCase(full, servers[c.server ?? 'default']);
            if (result.verdict === 'NON-STRICT') t.diagnostic(`NON-STRICT: ${result.note}`);
            if (target.strict) assert.equal(result.verdict, 'OK', result.note);
          });
        }
      });
    }
  });
}
