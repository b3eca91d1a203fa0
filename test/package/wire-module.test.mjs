// The wire vocabulary of our protocol (subprotocol name, error codes,
// message types, announced limits) lives in one Node-free module,
// src/router/wire.ts, which the server and the client both import. These
// checks read the sources, so a second copy that could drift from it fails
// here before it ships.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES } from '../../dist/esm/index.js';
import { PROTOCOL } from '../../dist/esm/client/index.js';
import { readSource, sourceFiles, specifiers } from '../helpers/source-graph.mjs';

const WIRE = 'router/wire.ts';
const PROTOCOL_NAME = 'ws-node-server.v1';

/** The codes the server can answer with, as the package exports them. */
function errorCodes() {
  assert.ok(ERROR_CODES.length >= 10 && ERROR_CODES.every((c) => /^[a-z_]+$/.test(c)), ERROR_CODES.join(', '));
  return ERROR_CODES;
}

/** Source without comments, so a code named in prose does not count. */
function code(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

test('the wire module imports nothing and uses no Node API', () => {
  const text = readSource(WIRE);
  assert.deepEqual(specifiers(text), [], 'wire.ts imports from no module');
  const body = code(text);
  assert.doesNotMatch(body, /\bimport\b|\brequire\s*\(/, 'no import or require of any form');
  assert.doesNotMatch(text, /node:/, 'no node: specifier anywhere');
  assert.doesNotMatch(body, /\b(?:Buffer|process|global|setImmediate|__dirname|__filename)\b/, 'no Node global');
  // What the two sides share is all declared there.
  for (const name of ['PROTOCOL_V1', 'ERROR_CODES', 'ErrorCode', 'WireError', 'ClientMessages', 'ServerMessages', 'AnnouncedLimits', 'PublicClient']) {
    assert.match(text, new RegExp(`export (?:const|type|interface) ${name}\\b`), `wire.ts declares ${name}`);
  }
  assert.match(text, new RegExp(`export const PROTOCOL_V1 = '${PROTOCOL_NAME.replace(/\./g, '\\.')}';`));
  // The list the package exports is the one written there, in its order.
  const list = /export const ERROR_CODES = \[([\s\S]*?)\] as const;/.exec(text);
  assert.ok(list, 'wire.ts declares ERROR_CODES = [...] as const');
  assert.deepEqual([...list[1].matchAll(/^\s*'([a-z_]+)',/gm)].map((m) => m[1]), [...ERROR_CODES]);
  assert.equal(PROTOCOL, PROTOCOL_NAME, 'the client offers the same subprotocol');
});

test('no other file of src/ spells the protocol name as a string', () => {
  const found = [];
  const literal = new RegExp(`(['"\`])${PROTOCOL_NAME.replace(/\./g, '\\.')}\\1`);
  for (const file of sourceFiles()) {
    if (file === WIRE) continue;
    if (literal.test(readSource(file))) found.push(file);
  }
  assert.deepEqual(found, [], 'these files should import PROTOCOL_V1 from src/router/wire.ts');
});

test('no other file of src/ lists the error codes', () => {
  const codes = errorCodes();
  const one = `'(?:${codes.join('|')})'`;
  // Three or more codes in a row, separated as in an array or a union type.
  const run = new RegExp(`${one}(?:\\s*[,|]\\s*${one}){2,}`);
  const found = [];
  for (const file of sourceFiles()) {
    if (file === WIRE) continue;
    const match = run.exec(code(readSource(file)));
    if (match !== null) found.push(`${file}: ${match[0].replace(/\s+/g, ' ')}`);
  }
  assert.deepEqual(found, [], 'these files should use ErrorCode / ERROR_CODES from src/router/wire.ts');
});

test('the client reaches into src/router only for the wire module', () => {
  const found = [];
  for (const file of sourceFiles().filter((f) => f.startsWith('client/'))) {
    for (const spec of specifiers(readSource(file))) {
      if (spec.includes('/router/') && spec !== '../router/wire.js') found.push(`${file}: ${spec}`);
    }
  }
  assert.deepEqual(found, []);
  // And it does use it: the subprotocol it offers is the server's.
  assert.ok(specifiers(readSource('client/connection.ts')).includes('../router/wire.js'));
});
