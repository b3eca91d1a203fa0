// A throwaway consumer project for the package tests: a temporary directory
// whose node_modules/ws-node-server is a symlink to this checkout, so
// `require('ws-node-server/...')`, `import` and TypeScript resolve through the
// real `exports` map of package.json and the built dist/, as an installed copy would.
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export const ROOT = process.cwd();
const exec = promisify(execFile);

/** Creates the consumer directory; `files` maps relative paths to contents. */
export function consumer(files = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'wns-consumer-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'ws-node-server'), 'dir');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `node file` in the consumer directory; resolves with trimmed stdout (rejects on a non-zero exit). */
export async function runNode(dir, file, timeout = 20_000) {
  const { stdout } = await exec(process.execPath, [file], { cwd: dir, timeout });
  return stdout.trim();
}
