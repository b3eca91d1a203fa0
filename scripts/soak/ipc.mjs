// Request/response over the IPC channel between the soak orchestrator
// (scripts/soak.mjs) and the processes it starts. Each child runs under a
// raised file-descriptor limit: `ulimit -n` as high as the hard limit allows.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** In a child: answer the orchestrator's commands with `handlers[cmd](args)`. */
export function serve(handlers) {
  process.on('message', async ({ id, cmd, args }) => {
    try {
      const result = await handlers[cmd](args ?? {});
      process.send({ id, result });
    } catch (error) {
      process.send({ id, error: String(error?.stack ?? error) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

/**
 * In the orchestrator: start `script` (relative to this folder) in a child
 * process with the fd limit raised, and return a handle whose call(cmd,
 * args, ms) resolves with the child's answer (bounded by ms).
 */
export function start(script, argv, wantFds) {
  const file = fileURLToPath(new URL(script, import.meta.url));
  const quoted = [process.execPath, '--expose-gc', file, ...argv].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  // Ask for the limit we want; where the hard limit is lower (no privilege
  // to raise it), take the hard limit. The child reports what it got.
  const command = `{ ulimit -n ${wantFds} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; } && exec ${quoted}`;
  const child = spawn('bash', ['-c', command], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map();
  let next = 1;
  let markReady;
  const ready = new Promise((resolve) => (markReady = resolve));
  child.on('message', ({ id, result, error, ready: isReady }) => {
    if (isReady) markReady();
    const p = pending.get(id);
    if (p === undefined) return;
    pending.delete(id);
    if (error !== undefined) p.reject(new Error(`${script} ${p.cmd}: ${error}`));
    else p.resolve(result);
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  exited.then(({ code, signal }) => {
    for (const p of pending.values()) p.reject(new Error(`${script} exited (${code ?? signal}) during ${p.cmd}`));
    pending.clear();
  });
  return {
    child,
    exited,
    /** Resolves once the child has set up and listens for commands. */
    ready: Promise.race([ready, exited.then(({ code }) => Promise.reject(new Error(`${script} exited (${code}) before it was ready`)))]),
    call(cmd, args = {}, ms = 120_000) {
      const id = next++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${script} ${cmd}: no answer within ${ms} ms`));
        }, ms);
        pending.set(id, {
          cmd,
          resolve: (v) => (clearTimeout(timer), resolve(v)),
          reject: (e) => (clearTimeout(timer), reject(e)),
        });
        child.send({ id, cmd, args });
      });
    },
    stop() {
      if (child.connected) child.disconnect();
      return exited;
    },
  };
}

/** `--name=value` flags of this process. */
export function flags(defaults) {
  const out = { ...defaults };
  for (const arg of process.argv.slice(2)) {
    const m = /^--([\w-]+)(?:=(.*))?$/.exec(arg);
    if (!m) continue;
    const key = m[1].replace(/-(\w)/g, (_, c) => c.toUpperCase());
    const value = m[2] ?? 'true';
    out[key] = typeof defaults[key] === 'number' ? Number(value) : value;
  }
  return out;
}

/** The soft fd limit of this process (as the shell reports it). */
export async function fdLimit() {
  const { execFileSync } = await import('node:child_process');
  return Number(execFileSync('bash', ['-c', 'ulimit -n']).toString().trim());
}
