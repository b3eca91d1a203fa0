// A throwaway Redis for tests: Debian's `redis-server` (/usr/bin/redis-server,
// or $REDIS_SERVER_PATH) on a free loopback port, with no persistence (no
// RDB, no AOF, a temporary --dir), that a test can stop and start again ON
// THE SAME PORT to play "the broker went away and came back".
//
//   const redis = await startRedisServer();
//   redis.port, redis.url            // 'redis://127.0.0.1:<port>'
//   await redis.stop();              // SIGTERM, resolves once it exited
//   await redis.stop({ signal: 'SIGKILL' });  // a crash: no goodbye to clients
//   await redis.start();             // same port, resolves once it answers PING
//   await redis.close();             // stop + remove the temporary directory
//
// Call close() in the test's after() hook. Every server still running when
// the test process exits is killed by an 'exit' hook (which also removes
// the temporary directories), so a failing test leaves no redis-server
// behind. Every wait is bounded (a child that does not start or stop in
// time fails the test with its output in the error).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server';
const HOST = '127.0.0.1';
const START_MS = 10_000;
const STOP_MS = 10_000;

/** Every child this module started and that has not exited yet. */
const running = new Set();
/** Every temporary directory not removed by close() yet. */
const dirs = new Set();
let exitHookInstalled = false;

function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** A port that was free a moment ago on the loopback interface. */
async function freePort() {
  const server = createServer();
  server.listen(0, HOST);
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/** True once something on `port` answers a PING with +PONG. */
function answersPing(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    let seen = '';
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      seen += chunk.toString('latin1');
      if (seen.includes('\r\n')) done(seen.startsWith('+PONG'));
    });
  });
}

/**
 * Starts a redis-server and resolves once it answers. Options: `port`
 * (default: a free one), `args` (more redis-server arguments).
 */
export async function startRedisServer({ port, args = [] } = {}) {
  assert.ok(existsSync(REDIS_SERVER), `${REDIS_SERVER} is missing: apt-get install -y redis-server`);
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'wsns-redis-'));
  dirs.add(dir);
  let child;
  let output = '';

  async function spawnOn(onPort) {
    output = '';
    const proc = spawn(
      REDIS_SERVER,
      ['--port', String(onPort), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning', ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = once(proc, 'exit');
    running.add(proc);
    exited.then(() => running.delete(proc));
    const keep = (chunk) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    proc.stdout.on('data', keep);
    proc.stderr.on('data', keep);
    proc.on('error', keep);
    const deadline = Date.now() + START_MS;
    let gone = false;
    exited.then(() => {
      gone = true;
    });
    while (Date.now() < deadline && !gone) {
      if (await answersPing(onPort)) return { proc, exited };
      await sleep(20);
    }
    proc.kill('SIGKILL');
    await exited;
    return undefined;
  }

  const server = {
    port: port ?? 0,
    host: HOST,
    get url() {
      return `redis://${HOST}:${server.port}`;
    },
    /** True while the child runs. */
    get running() {
      return child !== undefined;
    },
    /** Starts it (again) on the same port; resolves once it answers PING. */
    async start() {
      assert.equal(child, undefined, 'redis-server is already running');
      const started = await spawnOn(server.port);
      assert.ok(started, `redis-server did not start on port ${server.port}:\n${output}`);
      child = started;
    },
    /** Stops it; `signal` 'SIGKILL' plays a crash. Resolves once the process exited. */
    async stop({ signal = 'SIGTERM' } = {}) {
      if (child === undefined) return;
      const { proc, exited } = child;
      child = undefined;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_MS);
      await exited;
      clearTimeout(timer);
    },
    /** Stops it and removes its temporary directory. */
    async close() {
      await server.stop({ signal: 'SIGKILL' });
      rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
    },
  };

  if (port !== undefined) {
    await server.start();
    return server;
  }
  // A free port can be taken between the probe and redis-server's bind:
  // try a few.
  for (let attempt = 0; attempt < 5 && child === undefined; attempt++) {
    server.port = await freePort();
    child = await spawnOn(server.port);
  }
  assert.ok(child, `redis-server did not start:\n${output}`);
  return server;
}
