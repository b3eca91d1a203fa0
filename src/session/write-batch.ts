// Coalescing of writes: everything one event-loop iteration sends to one
// socket leaves in a single writev. The first write corks the socket; one
// shared setImmediate (the check phase, right after the poll phase has run
// every ready I/O callback) uncorks all of them. Broadcasts triggered by
// several incoming messages in the same iteration therefore cost one
// syscall per recipient, not one per message.

import type { Duplex } from 'node:stream';

let corked: Duplex[] = [];
let scheduled = false;

function flush(): void {
  const list = corked;
  corked = [];
  scheduled = false;
  for (let i = 0; i < list.length; i++) {
    const s = list[i];
    // uncork() is a no-op on a destroyed stream; writableCorked guards
    // against sockets uncorked elsewhere.
    if (s.writableCorked > 0) s.uncork();
  }
}

/** Corks `socket` until the end of the current event-loop iteration. */
export function corkForTurn(socket: Duplex): void {
  socket.cork();
  corked.push(socket);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}
