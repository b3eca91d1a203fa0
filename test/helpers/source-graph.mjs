// Static reading of src/: its files and what each one imports. Every form
// counts, type-only imports included (`import type`, `export ... from`,
// inline `import('...')` types): an import cycle of types is still a cycle
// for a reader, and a type import pulls the other file's declarations in.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** src/ of this checkout, wherever the test runs from. */
export const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Every .ts/.cts file under `dir`, as paths relative to src/ with '/' separators. */
export function sourceFiles(dir = SRC) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (/(?<!\.d)\.c?ts$/.test(entry.name)) files.push(relative(SRC, path).split('\\').join('/'));
  }
  return files.sort();
}

export function readSource(file) {
  return readFileSync(join(SRC, file), 'utf8');
}

/** Every module specifier `text` imports or re-exports from, as written. */
export function specifiers(text) {
  const found = [];
  for (const m of text.matchAll(/\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|\bimport\s+['"]([^'"]+)['"]|\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    found.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
  }
  return found;
}

/** The src/ files `file` imports (relative specifiers only), relative to src/. */
export function localImports(file, text = readSource(file)) {
  const out = new Set();
  for (const spec of specifiers(text)) {
    if (!spec.startsWith('.')) continue;
    out.add(relative(SRC, resolve(SRC, dirname(file), spec)).split('\\').join('/').replace(/\.c?js$/, '.ts'));
  }
  return [...out];
}

/** The import graph of `files`: file -> the files of the set it imports. */
export function importGraph(files) {
  const set = new Set(files);
  return new Map(files.map((f) => [f, localImports(f).filter((d) => set.has(d))]));
}

/**
 * The cycles of a graph: its strongly connected components of more than one
 * file (or a file importing itself), each as a sorted list. Tarjan's
 * algorithm, iterative so a long chain cannot overflow the stack.
 */
export function cyclicGroups(graph) {
  let next = 0;
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const groups = [];
  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    const work = [[root, 0]];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const [node, i] = frame;
      const deps = graph.get(node);
      if (i < deps.length) {
        frame[1]++;
        const dep = deps[i];
        if (!index.has(dep)) {
          index.set(dep, next);
          low.set(dep, next++);
          stack.push(dep);
          onStack.add(dep);
          work.push([dep, 0]);
        } else if (onStack.has(dep)) low.set(node, Math.min(low.get(node), index.get(dep)));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1][0];
        low.set(parent, Math.min(low.get(parent), low.get(node)));
      }
      if (low.get(node) !== index.get(node)) continue;
      const group = [];
      let member;
      do {
        member = stack.pop();
        onStack.delete(member);
        group.push(member);
      } while (member !== node);
      if (group.length > 1 || deps.includes(node)) groups.push(group.sort());
    }
  }
  return groups;
}
