// A connected pair for the WebSocket API parity tests: a server of `impl`
// on 127.0.0.1, an open client of the same implementation and the
// server-side WebSocket of that connection. The scenarios run once per
// implementation (see parity in stream-impls.mjs) and must observe the same.
import { listen, next, shutdown } from './stream-impls.mjs';
import { WAIT_MS } from '../helpers/wait.mjs';

export { impls, listen, next, shutdown, parity } from './stream-impls.mjs';

/** Settles after `ms`: a bounded pause to let pending I/O happen (never an assertion on time). */
export const settle = (ms = 50) => new Promise((r) => setTimeout(r, ms));

/** An open client and its server-side peer. `done()` terminates both and closes the server. */
export async function pair(impl, serverOptions = {}, clientOptions = {}) {
  const wss = await listen(impl, serverOptions);
  const connected = next(wss, 'connection');
  const client = new impl.WebSocket(`ws://127.0.0.1:${wss.address().port}`, clientOptions);
  const [[server]] = await Promise.all([connected, next(client, 'open')]);
  return {
    wss,
    client,
    server,
    done: async () => {
      client.terminate();
      await shutdown(wss);
    },
  };
}

/** Resolves with the arguments of `ws`'s 'close' event. */
export const closed = (ws) => next(ws, 'close');

/** A plain description of a message's data: its kind and bytes. */
export function dataKind(data) {
  if (Buffer.isBuffer(data)) return ['Buffer', data.toString()];
  if (data instanceof ArrayBuffer) return ['ArrayBuffer', Buffer.from(data).toString()];
  if (Array.isArray(data)) return ['Array', data.map((d) => (Buffer.isBuffer(d) ? d.toString() : typeof d))];
  if (typeof Blob !== 'undefined' && data instanceof Blob) return ['Blob', data.size];
  return [typeof data, String(data)];
}

/** Resolves once `predicate()` holds (checked every 5 ms, a bounded number of times); rejects, naming `what`, if it never does. */
export async function until(predicate, what) {
  for (let i = 0; i < WAIT_MS / 5; i++) {
    if (predicate()) return;
    await settle(5);
  }
  throw new Error(`timed out waiting for ${what}`);
}
