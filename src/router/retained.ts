// The retained state of session recovery (./retention.ts): a session whose
// connection dropped waits `maxDisconnection` ms for a resume, its alias
// reserved (another client cannot take it meanwhile) and this node's
// interest in its groups held (their broadcasts keep arriving, for its
// history). Entering and leaving that state, and the counts, are here.

import type { RecoveryHost, Track } from './recovery-types.js';

export class RetainedSessions {
  readonly #host: Pick<RecoveryHost, 'hold' | 'release'>;
  readonly #wait: number;
  readonly #expire: (t: Track) => void;
  /** Aliases reserved by retained sessions, with their counts. */
  readonly #aliases = new Map<string, number>();
  #count = 0;

  constructor(host: Pick<RecoveryHost, 'hold' | 'release'>, maxDisconnection: number, expire: (t: Track) => void) {
    this.#host = host;
    this.#wait = maxDisconnection;
    this.#expire = expire;
  }

  /** Sessions retained (or claimed by a resume in progress) now. */
  get count(): number {
    return this.#count;
  }

  aliasHeld(alias: string): boolean {
    return this.#aliases.has(alias);
  }

  /** The session waits `maxDisconnection` ms from now (again, for a resume that did not happen). */
  enter(t: Track): void {
    if (t.state === 'live') {
      this.#count++;
      const alias = (t.reserved = t.session.alias);
      if (alias !== null) this.#aliases.set(alias, (this.#aliases.get(alias) ?? 0) + 1);
      t.held = t.session.groupList();
      for (const group of t.held) this.#host.hold(group);
    }
    t.state = 'retained';
    t.expires = Date.now() + this.#wait;
    if (t.timer !== null) clearTimeout(t.timer);
    t.timer = setTimeout(() => this.#expire(t), this.#wait);
    t.timer.unref();
  }

  /** Leaves the retained state (resumed or ended); returns the groups still held, when `keep`. */
  leave(t: Track, keep = false): string[] {
    if (t.timer !== null) clearTimeout(t.timer);
    t.timer = null;
    if (t.state === 'live') return [];
    this.#count--;
    const held = t.held;
    t.held = [];
    if (!keep) this.releaseAll(held);
    const alias = t.reserved;
    t.reserved = null;
    const n = alias === null ? undefined : this.#aliases.get(alias);
    if (n !== undefined) {
      if (n <= 1) this.#aliases.delete(alias!);
      else this.#aliases.set(alias!, n - 1);
    }
    return keep ? held : [];
  }

  releaseAll(groups: readonly string[]): void {
    for (const group of groups) this.#host.release(group);
  }
}
