// Bounded waits for the client tests: every wait ends, with an error naming
// what did not happen, instead of hanging the run.

/** Resolves once pred() holds, polling every few ms; rejects after `ms`. */
export function until(pred, what = 'condition', ms = 3000) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      let ok = false;
      try { ok = pred(); } catch { ok = false; }
      if (ok) return resolve();
      if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 5);
    };
    tick();
  });
}

/** Lets pending microtasks and timers of 0 ms run. */
export const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** Records a client's state events. */
export function recordStates(client) {
  const states = [];
  client.onState((e) => states.push(e));
  return states;
}
