// The shape of the application layer's import graph. Every module of
// src/router sees the router through the narrow host interface it declares
// (src/router/host.ts lists them), so only the server imports router.ts and
// the graph has no cycle, type-only imports included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cyclicGroups, importGraph, localImports, sourceFiles } from '../helpers/source-graph.mjs';

test('src/router and src/client have no import cycle, type-only imports included', () => {
  const files = sourceFiles().filter((f) => f.startsWith('router/') || f.startsWith('client/'));
  assert.ok(files.length > 20, `found ${files.length} files`);
  assert.deepEqual(cyclicGroups(importGraph(files)), []);
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
