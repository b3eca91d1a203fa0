// Server conformance: the cases in ./cases, modelled on the fuzzing-client
// case groups 1-7 and 9, run over raw TCP against an echo server built from
// the public API. CONFORMANCE_TARGET=ws runs them against the `ws` package.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer, targetName } from '../helpers/target.mjs';
import { startEchoServer } from '../helpers/servers.mjs';
import { runCase } from '../helpers/conformance-runner.mjs';
import { groups, serverOptions } from './cases/index.mjs';

const servers = {};

before(async () => {
  for (const [name, options] of Object.entries(serverOptions)) {
    servers[name] = await startEchoServer(WebSocketServer, options);
  }
});

after(async () => {
  for (const s of Object.values(servers)) await s.close();
});

describe(`server conformance (${targetName})`, () => {
  for (const group of groups) {
    describe(group.title, () => {
      for (const c of group.cases) {
        test(`${c.id} ${c.title}`, { timeout: c.timeoutMs ?? 10000 }, async (t) => {
          const full = c.lazy ? { ...c, ...c.build() } : c;
          const result = await runCase(full, servers[c.server ?? 'default']);
          assert.ok(result.verdict === 'OK' || result.verdict === 'NON-STRICT');
          if (result.verdict === 'NON-STRICT') t.diagnostic(`NON-STRICT: ${result.note}`);
        });
      }
    });
  }
});
