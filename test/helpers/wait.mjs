// Bounded waits for every test. Each wait ends: with the awaited value, or
// with an error naming what did not happen, so a missing event fails a test
// instead of hanging the run. The bounds are generous limits, never
// measurements: no test asserts how long anything took.
import { once } from 'node:events';

/** The default bound of a wait. */
export const WAIT_MS = 4000;

function timedOut(what, ms) {
  return new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** Resolve as `promise` does, or reject once `ms` pass. */
export function within(promise, what = 'operation', ms = WAIT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(timedOut(what, ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The arguments of the next `event` on `emitter`, or reject once `ms` pass. */
export async function onceWithin(emitter, event, what = `'${event}'`, ms = WAIT_MS) {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  try {
    return await once(emitter, event, { signal: ac.signal });
  } catch (err) {
    if (ac.signal.aborted) throw timedOut(what, ms);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolve once `pred()` holds, polling every 5 ms; reject once `ms` pass.
 * A `pred` that throws counts as not holding yet (it may read state that
 * does not exist yet).
 */
export function until(pred, what = 'condition', ms = WAIT_MS) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      let ok = false;
      try { ok = pred(); } catch { ok = false; }
      if (ok) return resolve();
      if (Date.now() - started > ms) return reject(timedOut(what, ms));
      setTimeout(poll, 5);
    };
    poll();
  });
}

/**
 * Resolve to true once `pred()` holds, re-checked on each 'change' event of
 * `emitter`, or to false once `ms` pass (for assert.ok with a message).
 */
export function changedWithin(emitter, pred, ms = WAIT_MS) {
  if (pred()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const check = () => { if (pred()) finish(true); };
    const timer = setTimeout(() => finish(false), ms);
    const finish = (v) => {
      clearTimeout(timer);
      emitter.removeListener('change', check);
      resolve(v);
    };
    emitter.on('change', check);
  });
}

/**
 * Resolve after `ms` (0: after pending timers and I/O callbacks), to let a
 * timer of the code under test fire; never a timing assertion.
 */
export const sleep = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));
