// What it takes to resume a session after a reconnect (docs/protocol.md,
// recovery): the token and session id of the last authentication, and the
// last position delivered per stream. Also what keeps delivery exactly once
// when the server replays: a push at or before the stored position of its
// stream (same epoch) was delivered already. All of it lives in memory
// only, so a page reload starts a fresh session.

import type { ResumeRequest, StreamPosition } from '../router/wire.js';
import { isRecord } from './inbound.js';
import type { SelfInfo } from './types.js';

/** Longest token kept (the server's are 43 characters); anything else is not a token of ours. */
const MAX_TOKEN = 256;

export class Recovery {
  #token: string | null = null;
  #session: string | null = null;
  readonly #positions = new Map<string, { e: string; o: number }>();

  /** The `resume` field for the next automatic re-authentication; null when there is nothing to resume. */
  request(): ResumeRequest | null {
    if (this.#token === null || this.#session === null) return null;
    return { session: this.#session, token: this.#token, positions: Object.fromEntries(this.#positions) };
  }

  /**
   * Reads a successful authentication's answer. `sent`: it answered a
   * `resume`. Only a recovered session keeps its positions: after anything
   * else, what was missed is lost and counting starts again.
   */
  answered(data: unknown, sent: boolean, self: SelfInfo | null): { resumed: boolean; recovered: boolean } {
    const answer = isRecord(data) ? data : {};
    const resumed = sent && answer.resumed === true;
    const recovered = resumed && answer.recovered === true;
    if (!recovered) this.#positions.clear();
    else if (self !== null && isRecord(answer.self) && Array.isArray(answer.self.groups)) {
      // Streams the session no longer receives (a group left on the server's side) are not resumed again.
      const streams = new Set(['all', `u:${self.id}`, ...self.groups.map((g) => `g:${g}`)]);
      for (const stream of [...this.#positions.keys()]) if (!streams.has(stream)) this.#positions.delete(stream);
    }
    const r = isRecord(answer.recovery) ? answer.recovery : null;
    const token = r !== null && typeof r.token === 'string' && r.token.length > 0 && r.token.length <= MAX_TOKEN ? r.token : null;
    // A server without recovery sends no token: the next reconnect is a fresh login.
    this.#token = self !== null ? token : null;
    this.#session = self?.id ?? null;
    return { resumed, recovered };
  }

  /**
   * A push arrived: true when it is new (and its position is now the
   * stream's), false when it was delivered already. A new epoch means the
   * stream started over, so its offsets count from there.
   */
  accept(pos: StreamPosition | null): boolean {
    if (pos === null) return true;
    const last = this.#positions.get(pos.s);
    if (last !== undefined && last.e === pos.e && pos.o <= last.o) return false;
    this.#positions.set(pos.s, { e: pos.e, o: pos.o });
    return true;
  }

  /** This client left a group: its stream is none of this session's any more. */
  drop(stream: string): void {
    this.#positions.delete(stream);
  }

  /** The session is over for this client (close(), closed for good, a resume the server cannot read). */
  forget(): void {
    this.#token = null;
    this.#session = null;
    this.#positions.clear();
  }
}
