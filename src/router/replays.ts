// Resumes in progress (./retention.ts): between the decision and the moment
// the session is indexed for live pushes again, every push for one of its
// streams is queued here; once the auth reply is written, the gap goes out,
// then the queue, without what the gap already held. So nothing newer
// overtakes the replay and nothing is written twice, even when a shared
// store was read while pushes kept arriving.

import type { Peer } from './registry.js';
import type { Entry, Replay } from './recovery-types.js';

export class Replays {
  readonly #byPeer = new Map<Peer, Replay>();

  add(peer: Peer, replay: Replay): void {
    this.#byPeer.set(peer, replay);
  }

  /** Ends the replay of a connection (written, or the connection left); returns it. */
  take(peer: Peer): Replay | undefined {
    const r = this.#byPeer.get(peer);
    this.#byPeer.delete(peer);
    return r;
  }

  /** A push was recorded: sessions being resumed that receive its stream get it after their gap. */
  observe(entry: Entry): void {
    if (this.#byPeer.size === 0) return;
    for (const r of this.#byPeer.values()) if (r.streams.has(entry.stream) && r.id !== entry.except) r.queue.push(entry);
  }
}

/** Writes a replay: the gap, then what was queued meanwhile, each entry once. */
export function writeReplay(peer: Peer, r: Replay): void {
  // Written past the push gate, like answers: the core's hard bound still applies.
  const last = r.after;
  for (const entry of r.gap) {
    peer.ws.send(entry.text);
    last.set(entry.stream, entry.offset);
  }
  for (const entry of r.queue) {
    // Held by the gap already (a shared store read after it arrived).
    if (entry.offset <= (last.get(entry.stream) ?? 0)) continue;
    peer.ws.send(entry.text);
    last.set(entry.stream, entry.offset);
  }
}
