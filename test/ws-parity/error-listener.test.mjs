// An 'error' listener that throws (on a peer's protocol error): the
// connection is failed first (close frame, TCP end, 'close'), then the error
// is emitted once; the listener's own exception propagates like any
// EventEmitter listener's and is not fed back to 'error'.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const exec = promisify(execFile);
const FIXTURE = fileURLToPath(new URL('./fixtures/throwing-error-listener.mjs', import.meta.url));

for (const name of ['ws', 'ours']) {
  test(`[${name}] a throwing 'error' listener is called once and the connection still closes`, async () => {
    const { stdout } = await exec(process.execPath, [FIXTURE, name], { timeout: 20_000 });
    const report = JSON.parse(stdout.trim().split('\n').pop());
    assert.equal(report.calls, 1, "the 'error' listener ran once");
    assert.deepEqual(report.uncaught, ['thrown by the listener'], 'its exception propagated once');
    assert.equal(report.wire, 1002, 'the close frame went out');
    assert.equal(report.ended, true, 'the server ended the TCP connection');
    assert.equal(report.close, 1006, "'close' followed");
  });
}
