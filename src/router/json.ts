// Decoding untrusted JSON. JSON.parse itself is safe against prototype
// pollution (it defines `__proto__` as an own property), but the objects it
// returns reach application code, where `Object.assign`, merges and spreads
// would treat such keys specially. So the decoder refuses them outright, and
// bounds nesting depth, so nothing downstream ever meets a hostile object.

/** Keys that act on prototypes when application code copies or merges objects. */
const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export interface JsonLimits {
  /** Deepest nesting of arrays/objects accepted (default 32). */
  maxDepth: number;
}

/**
 * `parsed` is present when the text was JSON but failed a check, so a codec
 * can still pick out a correlation id (read as an own property, never merged).
 */
export type JsonResult = { ok: true; value: unknown } | { ok: false; reason: string; parsed?: unknown };

/** Parses `text` and checks every nested key and the depth, without recursion. */
export function parseUntrusted(text: string, limits: JsonLimits): JsonResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'message is not valid JSON' };
  }
  const problem = inspect(value, limits.maxDepth);
  return problem === null ? { ok: true, value } : { ok: false, reason: problem, parsed: value };
}

/**
 * Walks a parsed value iteratively (an explicit stack, so a deeply nested
 * message cannot overflow the call stack) and reports the first problem.
 */
export function inspect(root: unknown, maxDepth: number): string | null {
  const stack: Array<[unknown, number]> = [[root, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= maxDepth) return `message is nested deeper than ${maxDepth} levels`;
    if (Array.isArray(value)) {
      for (const item of value) stack.push([item, depth + 1]);
      continue;
    }
    for (const key of Object.keys(value)) {
      if (UNSAFE_KEYS.has(key)) return `key "${key}" is not allowed`;
      stack.push([(value as Record<string, unknown>)[key], depth + 1]);
    }
  }
  return null;
}

/** A plain JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Serializes an application value for the wire. Returns null when the value
 * cannot be represented (a cycle, a BigInt), so the caller can answer with an
 * error instead of throwing inside a socket event.
 */
export function stringifySafe(value: unknown): string | null {
  try {
    const text = JSON.stringify(value);
    return typeof text === 'string' ? text : null;
  } catch {
    return null;
  }
}

/** Deep-freezes a JSON-compatible copy, used for public immutable data. */
export function frozenCopy<T>(value: T): T {
  if (value === undefined || value === null) return value;
  const copy = structuredClone(value);
  const stack: unknown[] = [copy];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item === null || typeof item !== 'object' || Object.isFrozen(item)) continue;
    Object.freeze(item);
    for (const key of Object.keys(item)) stack.push((item as Record<string, unknown>)[key]);
  }
  return copy;
}
