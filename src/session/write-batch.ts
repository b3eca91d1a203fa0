// Coalescing of writes: everything one event-loop iteration sends to one
// connection leaves in a single writev. The first write corks the socket and
// enters the connection in a shared queue; a setImmediate (the check phase,
// right after the poll phase has run every ready I/O callback) uncorks them.
// Broadcasts triggered by several incoming messages in the same iteration
// therefore cost one syscall per recipient, not one per message.
//
// The queue is flushed in slices: at most SLICE_CONNECTIONS connections or
// SLICE_BYTES bytes per setImmediate, the rest in the next iteration (after
// that iteration's I/O). Uncorking 10,000 sockets is 10,000 writev calls;
// done in one go it stalls the event loop for a few hundred milliseconds,
// during which nothing else (requests, pings, new connections) is served.
// A connection waiting for its slice stays corked, so its later writes join
// the same batch: no socket's bytes are reordered. Connections are flushed in
// the order they entered the queue, so none waits behind newer ones.

/** A connection with a corked batch of writes. */
export interface Batched {
  /** Uncorks the batch; returns how many bytes it held. */
  flushBatch(): number;
}

/** Connections per slice. */
const SLICE_CONNECTIONS = 512;
/** Bytes per slice (a slice ends after the connection that crosses it). */
const SLICE_BYTES = 4 * 1024 * 1024;

let queue: (Batched | undefined)[] = [];
let head = 0;
let scheduled = false;

function flush(): void {
  scheduled = false;
  let count = 0;
  let bytes = 0;
  while (head < queue.length) {
    const item = queue[head]!;
    queue[head++] = undefined;
    bytes += item.flushBatch();
    if (++count >= SLICE_CONNECTIONS || bytes >= SLICE_BYTES) break;
  }
  if (head === queue.length) {
    queue = [];
    head = 0;
    return;
  }
  if (head > 4096 && head * 2 > queue.length) {
    queue = queue.slice(head);
    head = 0;
  }
  scheduled = true;
  setImmediate(flush);
}

/** Enters `item` (whose socket the caller just corked) in the next slice with room. */
export function batch(item: Batched): void {
  queue.push(item);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}
