// The chat demo (examples/chat/server.mjs) as a child process, for the
// browser tests: started on a port (0: any free one), found by the line it
// prints, and stopped with SIGTERM (its graceful shutdown).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const READY = /open http:\/\/127\.0\.0\.1:(\d+)/;

/** Resolves { child, port, output() } once the demo says where to open it (at most 5 s). */
export async function startDemo(onPort = 0) {
  const child = spawn(process.execPath, ['examples/chat/server.mjs'], { cwd: ROOT, env: { ...process.env, PORT: String(onPort) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  for (let i = 0; i < 100 && !READY.test(out); i++) await new Promise((r) => setTimeout(r, 50));
  const m = READY.exec(out);
  assert.ok(m, `the demo says where to open it: ${out}`);
  return { child, port: Number(m[1]), output: () => out };
}

/** Stops the demo and waits for it to exit. */
export async function stopDemo(demo) {
  if (demo.child.exitCode !== null) return;
  const exited = new Promise((r) => demo.child.once('exit', r));
  demo.child.kill('SIGTERM');
  await exited;
}
