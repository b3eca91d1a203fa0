// The shape of the sources: the handshake layer does no I/O (it may use
// node:crypto for SHA-1 and types of node:http), and the lower layers have
// no import cycles, type-only imports included, so each module can be read
// and tested on top of the ones it imports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Every `import`/`export ... from` of a module: { specifier, typeOnly }. */
function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  const found = [];
  for (const m of text.matchAll(/^(import|export)\s+(type\s+)?([^'";]*?)\s*from\s+'([^']+)'/gm)) {
    found.push({ specifier: m[4], typeOnly: Boolean(m[2]) });
  }
  for (const m of text.matchAll(/^import\s+'([^']+)'/gm)) found.push({ specifier: m[1], typeOnly: false });
  return found;
}

function modulesUnder(dir) {
  return readdirSync(join(SRC, dir))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(SRC, dir, f));
}

test('src/handshake imports only types from node modules, except node:crypto', () => {
  const files = modulesUnder('handshake');
  assert.ok(files.length >= 4);
  const io = [];
  for (const file of files) {
    for (const { specifier, typeOnly } of importsOf(file)) {
      if (specifier.startsWith('node:') && !typeOnly && specifier !== 'node:crypto') io.push(`${relative(SRC, file)}: ${specifier}`);
    }
  }
  assert.deepEqual(io, []);
});

test('src/frame, src/handshake and src/session have no import cycles, type-only imports included', () => {
  const files = ['frame', 'handshake', 'session'].flatMap(modulesUnder);
  const graph = new Map();
  for (const file of files) {
    const deps = importsOf(file)
      .filter(({ specifier }) => specifier.startsWith('.'))
      .map(({ specifier }) => resolve(dirname(file), specifier).replace(/\.js$/, '.ts'));
    graph.set(file, deps);
  }
  const cycles = [];
  const state = new Map();
  const stack = [];
  const visit = (node) => {
    state.set(node, 'open');
    stack.push(node);
    for (const dep of graph.get(node) ?? []) {
      if (!graph.has(dep)) continue;
      if (state.get(dep) === 'open') cycles.push([...stack.slice(stack.indexOf(dep)), dep].map((f) => relative(SRC, f)).join(' -> '));
      else if (!state.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const file of files) if (!state.has(file)) visit(file);
  assert.ok(graph.get(join(SRC, 'session/server.ts')).length > 3, 'the imports were found');
  assert.deepEqual(cycles, []);
});
