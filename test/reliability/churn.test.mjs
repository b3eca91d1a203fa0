// Churn: thousands of connect/authenticate/request/disconnect cycles (both
// protocols; client closes, server closes and abrupt drops), after which
// connection counts, the group index and presence lists are empty, every
// session ended exactly once, and the heap is back near its baseline. The
// workload runs in a child process with --expose-gc (churn-worker.mjs), so
// the figures are its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CYCLES = 3000;
const WARMUP = 1000; // compiled code and caches settle first; the baseline is taken after
// A leaked session (its Session, groups and data alone) costs ~500 bytes;
// a leaked connection several KB. What stays after settling is well under this.
const MAX_BYTES_PER_CYCLE = 256;

function runWorker() {
  const worker = fileURLToPath(new URL('./churn-worker.mjs', import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', worker, String(CYCLES), String(WARMUP)], { timeout: 80_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`churn worker failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1)));
    });
  });
}

test(`${CYCLES + WARMUP} connect/authenticate/disconnect cycles leave nothing behind`, async () => {
  const r = await runWorker();
  assert.equal(r.timedOut, false, 'every cycle completed in time');
  assert.deepEqual(r.errors, []);
  assert.equal(r.started, CYCLES + WARMUP);
  assert.equal(r.ended, r.started, 'onConnectionClose ran once per session');
  // Presence: every arrival and every departure was announced to the observer.
  assert.equal(r.joined, r.started);
  assert.equal(r.left, r.started);
  // Only the observer is left, on every count.
  assert.equal(r.sessions, 1);
  assert.equal(r.coreClients, 1);
  assert.equal(r.stats.connections, 1);
  assert.equal(r.stats.sessions, 1);
  assert.equal(r.stats.groups, 0, 'the group index is empty');
  assert.ok(r.groupSizes.every((n) => n === 0), `group sizes ${r.groupSizes}`);
  assert.deepEqual(r.clientsList, [], 'the presence list is empty');
  const growth = r.after - r.baseline;
  assert.ok(growth < MAX_BYTES_PER_CYCLE * CYCLES, `heap grew ${growth} bytes over ${CYCLES} cycles (from ${r.baseline})`);
});
