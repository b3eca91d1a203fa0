// Coalescing of writes: everything one event-loop turn sends to one socket
// leaves in a single writev. The first write of a turn corks the socket; one
// shared nextTick uncorks all of them. This is what lets a burst of
// broadcasts cost one syscall per recipient instead of one per message.

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

/** Corks `socket` until the end of the current turn (once per turn). */
export function corkForTurn(socket: Duplex): void {
  socket.cork();
  corked.push(socket);
  if (!scheduled) {
    scheduled = true;
    process.nextTick(flush);
  }
}
