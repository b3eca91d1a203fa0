// Every code block in README.md and docs/*.md runs as written.
//
// Each fenced block is extracted and, by its language tag:
//   ```js / ```javascript / ```mjs  run with node as an ES module (a ```js block
//                                   that uses require() and no import runs as
//                                   CommonJS);
//   ```cjs                          run as CommonJS;
//   ```ts / ```typescript / ```mts  type-checked (strict) with the project's
//                                   TypeScript against the built dist/esm types;
//   ```json                         parsed: a sequence of JSON values (the
//                                   wire-protocol examples) must each parse;
//   ```sh / bash / shell / console  not run. They are terminal commands for the
//                                   reader: `npm install && npm start` (the demo;
//                                   it has its own test in test/browser), `npm
//                                   test` (running it from here would recurse into
//                                   this suite), `npm run bench` / `npm run soak`
//                                   (minutes long, and they rewrite result files),
//                                   `apt-get install` and the like (change the
//                                   machine);
//   any other tag (text, html, ...) data, not code: not run;
//   no tag at all                   an error: say what the block is.
//
// Files are written to test-output/docs/, inside the package, so that
// `import ... from 'ws-node-server'` and `require('ws-node-server/client')`
// resolve through the package's own `exports` (self-reference), as they do
// for an installed copy.
//
// A block passes when it exits 0 with nothing on stderr, or, for a server,
// when after SETTLE_MS it is still running, listening on the port its code
// names, with nothing on stderr (it is then killed). Blocks run one at a time;
// before each, the ports its code names must be free (waited for, bounded).
//
// An HTML comment right before a block changes how it runs:
//   <!-- run: with-previous -->   start the previous js/cjs block of the same
//                                 file as a server (wait until it listens), then
//                                 run this one, which must exit 0; the server must
//                                 print nothing on stderr meanwhile. When the
//                                 previous block is itself a with-previous block,
//                                 its server is used, so several client blocks
//                                 can follow one server block.
//   <!-- run: skip (reason) -->   not run; for the rare block that cannot run
//                                 here (a TLS certificate file, a browser page).
//                                 The reason is required.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('../../', import.meta.url));
const outDir = join(root, 'test-output', 'docs');

/** How long a block that has not exited is given before it is judged a server. */
const SETTLE_MS = 1500;
/** Longest a block (or a client block of a pair) may run before it must have exited. */
const BLOCK_TIMEOUT_MS = 10_000;
/** Longest a port named by a block may stay busy before the block is run anyway (and fails). */
const PORT_WAIT_MS = 5000;
/** Longest a server block of a with-previous pair may take to start listening. */
const LISTEN_WAIT_MS = 5000;

const ESM = new Set(['js', 'javascript', 'mjs']);
const CJS = new Set(['cjs']);
const TS = new Set(['ts', 'typescript', 'mts']);
const SHELL = new Set(['sh', 'bash', 'shell', 'console', 'zsh']);

// ---------------------------------------------------------------- extraction

const docFiles = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];

/** Structural problems in the Markdown (dangling markers, untagged blocks...). */
const problems = [];
const blocks = [];

for (const file of docFiles) {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  let marker = null;
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]);
    if (open) {
      const [, indent, fence, tag] = open;
      const closeRe = new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
      let end = i + 1;
      while (end < lines.length && !closeRe.test(lines[end])) end++;
      if (end >= lines.length) {
        problems.push(`${file}:${i + 1}: code block is never closed`);
        break;
      }
      const code = lines
        .slice(i + 1, end)
        .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()))
        .join('\n');
      const block = { file, line: i + 1, tag: tag.toLowerCase(), code, marker: marker?.spec ?? null };
      block.kind = kindOf(block);
      if (block.kind === 'untagged') problems.push(`${file}:${i + 1}: code block without a language tag (use \`\`\`text for output or data)`);
      if (marker) checkMarker(block, marker);
      blocks.push(block);
      marker = null;
      i = end;
      continue;
    }
    const m = /^\s*<!--\s*run:\s*(.*?)\s*-->\s*$/.exec(lines[i]);
    if (m) {
      if (marker) problems.push(`${file}:${marker.line}: run marker not followed by a code block`);
      marker = { spec: m[1], line: i + 1 };
    } else if (lines[i].trim() !== '' && marker) {
      problems.push(`${file}:${marker.line}: run marker not followed by a code block`);
      marker = null;
    }
  }
  if (marker) problems.push(`${file}:${marker.line}: run marker not followed by a code block`);
}

function kindOf({ tag, code }) {
  if (tag === '') return 'untagged';
  if (CJS.has(tag)) return 'cjs';
  if (ESM.has(tag)) {
    const esm = /^\s*(import|export)\b/m.test(code);
    return tag !== 'mjs' && !esm && /\brequire\(/.test(code) ? 'cjs' : 'esm';
  }
  if (TS.has(tag)) return 'ts';
  if (SHELL.has(tag)) return 'shell';
  if (tag === 'json') return 'json';
  return 'data';
}

function checkMarker(block, marker) {
  const at = `${block.file}:${marker.line}`;
  if (/^skip\b/.test(marker.spec)) {
    if (!/^skip\s*\(\s*\S.*\)$/.test(marker.spec)) problems.push(`${at}: "run: skip" needs a reason in parentheses`);
    block.skip = marker.spec.replace(/^skip\s*\(\s*|\s*\)$/g, '');
  } else if (marker.spec === 'with-previous') {
    if (block.kind !== 'esm' && block.kind !== 'cjs') problems.push(`${at}: "run: with-previous" on a block that is not run (${block.tag})`);
    const previous = blocks.filter((b) => b.file === block.file && (b.kind === 'esm' || b.kind === 'cjs') && !b.skip).at(-1);
    const server = previous?.server ?? previous;
    if (!server) problems.push(`${at}: "run: with-previous" but no js block before it in ${block.file}`);
    else block.server = server;
  } else {
    problems.push(`${at}: unknown run marker "${marker.spec}" (use "with-previous" or "skip (reason)")`);
  }
}

/** Ports a block's code names: `port: 8080`, `ws://host:8080`, `.listen(8080`. */
function portsOf(code) {
  const ports = new Set();
  for (const m of code.matchAll(/(?:\bport\s*[:=]\s*|:\/\/[\w.\-[\]]+:|\.listen\(\s*)(\d{2,5})\b/g)) {
    const port = Number(m[1]);
    if (port > 0 && port < 65536) ports.add(port);
  }
  return [...ports];
}

const where = (b) => `${b.file}:${b.line}`;
const baseName = (b) => `${b.file.replace(/[/.]/g, '_')}_L${b.line}`;
const runnable = blocks.filter((b) => (b.kind === 'esm' || b.kind === 'cjs' || b.kind === 'ts') && !b.skip);

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
for (const b of runnable) {
  b.ports = portsOf(b.code);
  b.path = join(outDir, `${baseName(b)}.${b.kind === 'esm' ? 'mjs' : b.kind}`);
  // ts: a trailing `export {}` keeps every block in its own module scope.
  writeFileSync(b.path, b.kind === 'ts' ? `${b.code}\nexport {};\n` : `${b.code}\n`);
}

// ---------------------------------------------------------------- processes

const live = new Set();
after(async () => {
  for (const p of live) await stop(p);
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function start(block) {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, [block.path], { cwd: outDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const p = { block, child, stdout: '', stderr: '', exit: null };
  child.stdout.setEncoding('utf8').on('data', (d) => (p.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (p.stderr += d));
  p.exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      p.exit = { code, signal };
      live.delete(p);
      resolve(p.exit);
    });
  });
  live.add(p);
  return p;
}

async function stop(p) {
  if (p.exit) return;
  p.child.kill('SIGTERM');
  if (await Promise.race([p.exited.then(() => true), sleep(2000).then(() => false)])) return;
  p.child.kill('SIGKILL');
  await p.exited;
}

/** Resolves true if the process exited within ms. */
const exitsWithin = (p, ms) => Promise.race([p.exited.then(() => true), sleep(ms).then(() => false)]);

function portFree(port) {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function listening(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitForFreePorts(ports, block) {
  for (const port of ports) {
    const deadline = Date.now() + PORT_WAIT_MS;
    while (!(await portFree(port))) {
      assert.ok(Date.now() < deadline, `${where(block)}: port ${port} still in use after ${PORT_WAIT_MS} ms`);
      await sleep(50);
    }
  }
}

async function anyListening(ports) {
  for (const port of ports) if (await listening(port)) return true;
  return false;
}

/** What a failure message shows: output, and where the block's lines are in the Markdown. */
function report(p) {
  const b = p.block;
  let text = `\n--- ${where(b)} (${b.path.slice(root.length)}; line n of the file is ${b.file}:${b.line}+n)`;
  if (p.exit) text += `\nexit: ${p.exit.code ?? p.exit.signal}`;
  text += `\nstdout:\n${p.stdout || '(empty)'}\nstderr:\n${p.stderr || '(empty)'}`;
  return text.replace(new RegExp(`${baseName(b)}\\.[mc]?js:(\\d+)`, 'g'), (s, n) => `${s} [= ${b.file}:${b.line + Number(n)}]`);
}

/** A block on its own: it exits 0, or it is a server still listening after the settle time. */
async function runAlone(block) {
  await waitForFreePorts(block.ports, block);
  const p = start(block);
  try {
    if (!(await exitsWithin(p, SETTLE_MS)) && block.ports.length > 0 && (await anyListening(block.ports))) {
      assert.equal(p.exit, null, `${where(block)}: exited while being checked${report(p)}`);
      assert.equal(p.stderr, '', `${where(block)}: the server printed on stderr${report(p)}`);
      return 'server';
    }
    const exited = await exitsWithin(p, BLOCK_TIMEOUT_MS - SETTLE_MS);
    assert.ok(exited, `${where(block)}: neither exited within ${BLOCK_TIMEOUT_MS} ms nor listens on a port its code names (${block.ports.join(', ') || 'none'})${report(p)}`);
    assert.equal(p.exit.code, 0, `${where(block)}: exited with ${p.exit.code ?? p.exit.signal}${report(p)}`);
    assert.equal(p.stderr, '', `${where(block)}: printed on stderr${report(p)}`);
    return 'exited';
  } finally {
    await stop(p);
  }
}

/** A server block, then a client block against it; the client must exit 0. */
async function runPair(server, client) {
  assert.ok(server.ports.length > 0, `${where(server)}: the server of ${where(client)} names no port to wait for`);
  await waitForFreePorts([...new Set([...server.ports, ...client.ports])], client);
  const s = start(server);
  try {
    const deadline = Date.now() + LISTEN_WAIT_MS;
    while (!(await anyListening(server.ports))) {
      assert.equal(s.exit, null, `${where(server)}: the server exited before listening${report(s)}`);
      assert.ok(Date.now() < deadline, `${where(server)}: not listening on ${server.ports.join(', ')} after ${LISTEN_WAIT_MS} ms${report(s)}`);
      await sleep(25);
    }
    const c = start(client);
    try {
      assert.ok(await exitsWithin(c, BLOCK_TIMEOUT_MS), `${where(client)}: did not exit within ${BLOCK_TIMEOUT_MS} ms${report(c)}${report(s)}`);
      assert.equal(c.exit.code, 0, `${where(client)}: exited with ${c.exit.code ?? c.exit.signal}${report(c)}${report(s)}`);
      assert.equal(c.stderr, '', `${where(client)}: printed on stderr${report(c)}`);
    } finally {
      await stop(c);
    }
    await sleep(100); // let the server report what the client's leaving caused
    assert.equal(s.exit, null, `${where(server)}: the server exited while serving ${where(client)}${report(s)}`);
    assert.equal(s.stderr, '', `${where(server)}: the server printed on stderr while serving ${where(client)}${report(s)}`);
  } finally {
    await stop(s);
  }
}

// ---------------------------------------------------------------- TypeScript

let tsResult = null;
/** Type-checks every ts block in one program; diagnostics per block file. */
async function typeCheck() {
  if (tsResult) return tsResult;
  const { default: ts } = await import(join(root, 'node_modules', 'typescript', 'lib', 'typescript.js'));
  const { options, errors } = ts.convertCompilerOptionsFromJson(
    {
      strict: true,
      noEmit: true,
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      lib: ['ES2022', 'DOM'],
      types: ['node'],
      // Found from the package root, wherever the test is run from.
      typeRoots: [join(root, 'node_modules', '@types')],
      skipLibCheck: true,
      noUnusedLocals: false,
    },
    outDir,
  );
  assert.deepEqual(errors, [], 'compiler options');
  const files = runnable.filter((b) => b.kind === 'ts').map((b) => b.path);
  const program = ts.createProgram(files, options);
  const byFile = new Map();
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const file = d.file?.fileName ?? '(global)';
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
    if (!byFile.has(file)) byFile.set(file, []);
    byFile.get(file).push({ line, text: `TS${d.code}: ${text}` });
  }
  tsResult = byFile;
  return byFile;
}

// ---------------------------------------------------------------- JSON

/** Splits a block into its top-level JSON values and parses each; returns errors. */
function jsonErrors(block) {
  const errors = [];
  const src = block.code;
  let depth = 0;
  let inString = false;
  let start = -1;
  let values = 0;
  const lineAt = (i) => block.line + src.slice(0, i).split('\n').length;
  for (let i = 0; i < src.length; i++) {
    const ch = src[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      if (depth === 0) errors.push(`${block.file}:${lineAt(i)}: a string outside any object`);
      inString = true;
    } else if (ch === '{' || ch === '[') {
      if (depth++ === 0) start = i;
    } else if (ch === '}' || ch === ']') {
      if (--depth === 0) {
        values++;
        try {
          JSON.parse(src.slice(start, i + 1));
        } catch (err) {
          errors.push(`${block.file}:${lineAt(start)}: ${err.message}`);
        }
      } else if (depth < 0) {
        errors.push(`${block.file}:${lineAt(i)}: unbalanced "${ch}"`);
        depth = 0;
      }
    } else if (depth === 0 && !/\s/.test(ch)) {
      errors.push(`${block.file}:${lineAt(i)}: unexpected "${ch}" between JSON values`);
    }
  }
  if (depth !== 0 || inString) errors.push(`${where(block)}: the block ends inside a JSON value`);
  if (values === 0) errors.push(`${where(block)}: no JSON value in the block`);
  return errors;
}

// ---------------------------------------------------------------- tests

test('the docs are found and every block is tagged and marked correctly', (t) => {
  assert.ok(existsSync(join(root, 'dist', 'esm', 'index.js')), 'dist/ is built (npm run build)');
  assert.ok(blocks.length > 0, 'code blocks found');
  assert.ok(runnable.length > 0, 'runnable code blocks found');
  assert.deepEqual(problems, []);
  const count = (kind) => blocks.filter((b) => b.kind === kind).length;
  const skipped = blocks.filter((b) => b.skip);
  t.diagnostic(
    `${blocks.length} blocks in ${docFiles.length} files: ${count('esm')} ESM, ${count('cjs')} CommonJS, ${count('ts')} TypeScript, ` +
      `${count('json')} JSON, ${count('shell')} shell (not run), ${count('data')} other data; ${skipped.length} marked skip`,
  );
  for (const b of skipped) t.diagnostic(`skipped: ${where(b)}: ${b.skip}`);
  for (const b of blocks.filter((x) => x.kind === 'shell')) t.diagnostic(`not run (shell): ${where(b)}`);
});

for (const block of blocks) {
  if (block.skip) continue;
  const label = `${where(block)} ${block.tag}${block.marker ? ` [${block.marker}]` : ''}`;
  if (block.kind === 'esm' || block.kind === 'cjs') {
    test(`${label} runs`, { timeout: 2 * BLOCK_TIMEOUT_MS + PORT_WAIT_MS + LISTEN_WAIT_MS }, async (t) => {
      if (block.server) {
        await runPair(block.server, block);
        t.diagnostic(`exited 0 against the server of ${where(block.server)}`);
      } else {
        const how = await runAlone(block);
        t.diagnostic(how === 'server' ? `still listening after ${SETTLE_MS} ms (a server)` : 'exited 0');
      }
    });
  } else if (block.kind === 'ts') {
    test(`${label} type-checks`, { timeout: 60_000 }, async () => {
      const diagnostics = await typeCheck();
      const own = (diagnostics.get(block.path) ?? []).map((d) => `${block.file}:${block.line + d.line} ${d.text}`);
      assert.deepEqual(own, [], `${where(block)}: tsc reported problems`);
      const elsewhere = [...diagnostics.keys()].filter((f) => !runnable.some((b) => b.path === f));
      assert.deepEqual(elsewhere, [], 'diagnostics outside the doc blocks (types of the package?)');
    });
  } else if (block.kind === 'json') {
    test(`${label} parses`, () => {
      assert.deepEqual(jsonErrors(block), []);
    });
  }
}
