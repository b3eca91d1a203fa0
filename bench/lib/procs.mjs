// Child process bookkeeping: every process the benchmark starts is tracked
// and killed (by its own pid) when the orchestrator exits, however it exits.
import { spawn } from 'node:child_process';
import { once } from 'node:events';

const children = new Set();

export function killChildren() {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {}
  }
  children.clear();
}

let installed = false;
function installCleanup() {
  if (installed) return;
  installed = true;
  process.on('exit', killChildren);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      killChildren();
      process.exit(130);
    });
  }
}

/**
 * Starts `node [nodeArgs] script [args]`. With `fdLimit`, the process is
 * started through `sh -c 'ulimit -n N && exec node ...'` so it can hold that
 * many sockets (the pid is still node's, thanks to exec).
 */
export function spawnNode(script, args = [], { nodeArgs = [], fdLimit = 0, ipc = true, stdout = 'inherit' } = {}) {
  installCleanup();
  const stdio = ['ignore', stdout, 'inherit', ...(ipc ? ['ipc'] : [])];
  const argv = [...nodeArgs, script, ...args];
  const child = fdLimit
    ? spawn('sh', ['-c', `ulimit -n ${fdLimit} && exec "$0" "$@"`, process.execPath, ...argv], { stdio })
    : spawn(process.execPath, argv, { stdio });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

/** Waits for a child to exit; kills it after `ms`. */
export async function waitExit(child, ms = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  await once(child, 'exit');
  clearTimeout(timer);
}

/** Runs a script to completion, returns its stdout; killed after `ms`. */
export async function runToCompletion(script, args, ms) {
  const child = spawnNode(script, args, { ipc: false, stdout: 'pipe' });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => (out += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  const [code, signal] = await once(child, 'close');
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${script} ${args.join(' ')} failed (code ${code}, signal ${signal})`);
  return out;
}
