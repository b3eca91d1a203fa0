// The sans-I/O core stays sans-I/O: the frame codec, the handshake helpers
// and the connection state machine take bytes and return events and bytes.
// Parsed with the TypeScript compiler, each of their sources must not
//   - import a value from node:net, node:http, node:https, node:stream or
//     node:tls (type-only imports are fine: they vanish at build time),
//   - use a timer (setTimeout, setInterval, setImmediate),
//   - keep module-wide mutable state: no top-level `let`/`var`, no top-level
//     Map/Set/typed array/non-empty Buffer or empty array/object literal
//     (the shapes a shared cache, scratch buffer or registry takes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ts = createRequire(import.meta.url)(join(ROOT, 'node_modules', 'typescript'));

const IO_MODULES = new Set(['net', 'http', 'https', 'stream', 'tls'].flatMap((m) => [m, `node:${m}`]));
const TIMERS = new Set(['setTimeout', 'setInterval', 'setImmediate']);
const MUTABLE_CONSTRUCTORS = new Set(['Map', 'Set', 'WeakMap', 'Array', 'Uint8Array', 'Uint16Array', 'Uint32Array', 'Int32Array', 'Float64Array', 'ArrayBuffer', 'DataView']);

function coreFiles() {
  const dir = (d) => readdirSync(join(ROOT, 'src', d)).filter((f) => f.endsWith('.ts')).map((f) => join(ROOT, 'src', d, f));
  return [
    ...dir('frame'),
    ...dir('handshake'),
    join(ROOT, 'src', 'session', 'connection.ts'),
  ];
}

/** The rule violations in one source text, as "name: what" strings. */
function violations(name, text) {
  const sf = ts.createSourceFile(name, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const found = [];
  const where = (node) => `${name}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`;
  const isIo = (spec) => spec !== undefined && ts.isStringLiteral(spec) && IO_MODULES.has(spec.text);
  for (const stmt of sf.statements) {
    if (ts.isImportDeclaration(stmt) && isIo(stmt.moduleSpecifier)) {
      const clause = stmt.importClause;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined && clause.namedBindings !== undefined && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) found.push(`${where(stmt)}: value import from ${stmt.moduleSpecifier.text}`);
    }
    if (ts.isExportDeclaration(stmt) && !stmt.isTypeOnly && isIo(stmt.moduleSpecifier)) {
      found.push(`${where(stmt)}: value re-export from ${stmt.moduleSpecifier.text}`);
    }
    if (ts.isImportEqualsDeclaration(stmt) && !stmt.isTypeOnly) {
      const ref = stmt.moduleReference;
      if (ts.isExternalModuleReference(ref) && isIo(ref.expression)) found.push(`${where(stmt)}: value import from ${ref.expression.text}`);
    }
    if (ts.isVariableStatement(stmt)) {
      const flags = stmt.declarationList.flags;
      const isConst = (flags & ts.NodeFlags.Const) !== 0;
      for (const decl of stmt.declarationList.declarations) {
        if (!isConst) {
          found.push(`${where(decl)}: module-wide mutable binding ${decl.name.getText(sf)}`);
          continue;
        }
        const init = decl.initializer;
        if (init === undefined) continue;
        const ctor = ts.isNewExpression(init) && ts.isIdentifier(init.expression) ? init.expression.text : null;
        const bufferAlloc =
          ts.isCallExpression(init) &&
          ts.isPropertyAccessExpression(init.expression) &&
          init.expression.expression.getText(sf) === 'Buffer' &&
          /^alloc/.test(init.expression.name.text) &&
          !(init.arguments.length === 1 && ts.isNumericLiteral(init.arguments[0]) && init.arguments[0].text === '0');
        const emptyLiteral = (ts.isArrayLiteralExpression(init) && init.elements.length === 0) || (ts.isObjectLiteralExpression(init) && init.properties.length === 0);
        if ((ctor !== null && MUTABLE_CONSTRUCTORS.has(ctor)) || bufferAlloc || emptyLiteral) {
          found.push(`${where(decl)}: module-wide mutable value ${decl.name.getText(sf)}`);
        }
      }
    }
  }
  const visit = (node) => {
    if (ts.isIdentifier(node) && TIMERS.has(node.text)) found.push(`${where(node)}: timer ${node.text}`);
    if (ts.isCallExpression(node) && node.arguments.length > 0 && isIo(node.arguments[0])) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) {
        found.push(`${where(node)}: dynamic import of ${node.arguments[0].text}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

test('the checker finds each kind of violation and lets type-only imports through', () => {
  const bad = [
    "import { STATUS_CODES } from 'node:http';",
    "import * as net from 'node:net';",
    "import tls from 'tls';",
    "import { type Duplex, Readable } from 'node:stream';",
    "export { request } from 'node:https';",
    "const later = () => import('node:net');",
    'function f() { setTimeout(() => {}, 1); }',
    'const t = setImmediate;',
    'let cache = null;',
    'const scratch = new Uint32Array(1);',
    'const pool = Buffer.allocUnsafe(8192);',
    'const registry = new Map();',
    'const queue = [];',
  ];
  for (const line of bad) assert.equal(violations('bad.ts', line).length, 1, line);
  const fine = [
    "import type { Duplex } from 'node:stream';",
    "import { type IncomingMessage, type IncomingHttpHeaders } from 'node:http';",
    "import { randomFillSync } from 'node:crypto';",
    "import { constants } from 'node:buffer';",
    'const EMPTY = Buffer.alloc(0);',
    'const LIMIT = 125;',
    "const TABLE = [0, 1, 2];",
    'function g() { let local = 0; const m = new Map(); return local + m.size; }',
    'class C { #pool = Buffer.allocUnsafe(512); }',
    '// setTimeout in a comment is not a call',
  ];
  for (const line of fine) assert.deepEqual(violations('fine.ts', line), [], line);
});

test('src/frame, src/handshake and src/session/connection.ts are sans-I/O and keep no module-wide mutable state', () => {
  const files = coreFiles();
  assert.ok(files.length >= 10, `${files.length} files checked`);
  assert.ok(files.some((f) => f.endsWith(join('session', 'connection.ts'))));
  assert.ok(files.some((f) => f.endsWith(join('frame', 'parser.ts'))));
  const found = files.flatMap((f) => violations(relative(ROOT, f), readFileSync(f, 'utf8')));
  assert.deepEqual(found, []);
});
