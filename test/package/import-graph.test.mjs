// The shape of the application layer's import graph. Every module of
// src/router sees the router through the narrow host interface it declares
// (src/router/host.ts lists them), so only the server imports router.ts and
// the graph has no cycle, type-only imports included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cyclicGroups, importGraph, localImports, readSource, sourceFiles } from '../helpers/source-graph.mjs';

test('src/router and src/client have no import cycle, type-only imports included', () => {
  const files = sourceFiles().filter((f) => f.startsWith('router/') || f.startsWith('client/'));
  assert.ok(files.length > 20, `found ${files.length} files`);
  assert.deepEqual(cyclicGroups(importGraph(files)), []);
});

test('the whole of src/ has no import cycle, type-only imports included', () => {
  const files = sourceFiles();
  assert.ok(files.length > 60, `found ${files.length} files`);
  assert.deepEqual(cyclicGroups(importGraph(files)), []);
});

/** The layers, bottom up: a module imports only from its own layer and those below. */
const LAYERS = ['frame', 'handshake', 'session', 'router', 'scale', 'compat'];

test('imports go down the layers: frame <- handshake <- session <- router <- scale <- compat; the client reaches session only from its Node entry', () => {
  const wrong = [];
  for (const file of sourceFiles()) {
    const from = file.split('/')[0];
    for (const target of localImports(file)) {
      const to = target.split('/')[0];
      if (to === from || !target.includes('/')) continue;
      if (from === 'client') {
        // The client core shares the wire vocabulary; only the Node entry binds our WebSocket.
        if (target === 'router/wire.ts') continue;
        if (to === 'session' && file === 'client/index.ts') continue;
        wrong.push(`${file} -> ${target}`);
        continue;
      }
      const a = LAYERS.indexOf(from);
      const b = LAYERS.indexOf(to);
      // Entry files at the root of src/ (index, protocol) may import any layer.
      if (a === -1 && !file.includes('/')) continue;
      if (a === -1 || b === -1 || b > a) wrong.push(`${file} -> ${target}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('every source file stays under 400 lines', () => {
  const long = sourceFiles()
    .map((f) => [f, readSource(f).split('\n').length - 1])
    .filter(([, lines]) => lines > 400)
    .map(([f, lines]) => `${f}: ${lines} lines`);
  assert.deepEqual(long, []);
});

test('the cycle finder reports a cycle of type imports', () => {
  // The check above must be able to fail: a two-file cycle and a self-import.
  const graph = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['a.ts', 'c.ts']],
    ['c.ts', []],
    ['d.ts', ['d.ts']],
  ]);
  assert.deepEqual(cyclicGroups(graph), [['a.ts', 'b.ts'], ['d.ts']]);
});

test('only the server (and no other module) imports src/router/router.ts', () => {
  const importers = sourceFiles().filter((f) => localImports(f).includes('router/router.ts'));
  assert.deepEqual(importers, ['router/server.ts']);
});

test('router/session.ts and router/types.ts: the hook types name sessions, sessions do not import the hook types', () => {
  assert.ok(localImports('router/types.ts').includes('router/session.ts'));
  assert.ok(!localImports('router/session.ts').includes('router/types.ts'));
});
