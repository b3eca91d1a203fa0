// The shapes session recovery (./retention.ts) works with: what it needs
// from the router, a tracked session, a replay in progress, the streams.

import type { HistoryEntry } from './history.js';
import type { Peer } from './registry.js';
import type { Start } from './recovery-store.js';
import type { Session } from './session.js';
import type { SessionRecord } from './shared-history.js';
import type { RecoveryStats } from './types.js';

/** What recovery needs from the router. */
export interface RecoveryHost {
  /** True while the server shuts down: nothing is retained then. */
  readonly closing: boolean;
  /** The live connection of a session, if it has one. */
  connectionOf(session: Session<unknown>): Peer | undefined;
  /** Drops a live connection at once (a half-open one, superseded by a resume); runs the close path. */
  dropConnection(peer: Peer): void;
  /** The replay is written: index the session for live pushes and announce it. */
  attach(peer: Peer, recovered: boolean): void;
  /** The session ended for good: runs onConnectionClose. */
  ended(session: Session<unknown>, code: number, reason: string): void;
  /** Keeps (and gives back) the node's interest in a retained session's groups. */
  hold(group: string): void;
  release(group: string): void;
  /** Writes a push to a live connection (through the backpressure gate). */
  write(peer: Peer, text: string): boolean;
  /** A session object for a record another node (or an earlier process) saved; not live. */
  restore(id: string, record: SessionRecord): Session<unknown>;
  /** Shared store only: the node that held a session this node took lets go of it. */
  moved(id: string, node: string): void;
  /** Shared store only: resolves once this node receives a group's broadcasts (null: everyone's). */
  interested(group: string | null): Promise<void>;
  /** Milliseconds left before a session's own expiry (refresh), null without one. */
  expiryOf(session: Session<unknown>): number | null;
  /** Reports a session whose data cannot be saved for another node (not JSON). */
  unsaved(session: Session<unknown>, error: unknown): void;
}

/** What a closed connection's session becomes (./router.ts runs onConnectionClose for 'ended' only). */
export type Fate = 'retained' | 'ended' | 'handed';

export interface Track {
  readonly session: Session<unknown>;
  hash: Buffer;
  state: 'live' | 'retained' | 'claimed';
  /** Where the session started receiving each stream it receives. */
  readonly starts: Map<string, Start>;
  /** The streams it holds a reference on (their metadata is kept meanwhile). */
  readonly refs: Set<string>;
  timer: NodeJS.Timeout | null;
  /** The alias reserved while retained. */
  reserved: string | null;
  /** The groups whose interest is held while retained. */
  held: string[];
  expires: number;
  code: number;
  reason: string;
  /** Taken by another node (shared store): it leaves here without onConnectionClose. */
  moved?: boolean;
}

/** What a push is to a replay: its stream, offset and text. */
export type Entry = Pick<HistoryEntry, 'stream' | 'offset' | 'text' | 'except'>;

export interface Replay {
  readonly id: string;
  readonly streams: ReadonlySet<string>;
  gap: Entry[];
  /** Pushes appended since the decision, in order. */
  readonly queue: Entry[];
  recovered: boolean;
  /** Groups whose interest is held until the session is indexed. */
  readonly held: string[];
  /** Per stream, the offset the client has (recovered) and then the last one written. */
  readonly after: Map<string, number>;
}

/** The streams: everyone's broadcasts, a group's, one session's own pushes. */
export const ALL_STREAM = 'all';
export const groupStream = (group: string): string => `g:${group}`;
export const userStream = (id: string): string => `u:${id}`;

/** What the stats read of ./retention.ts's Recovery. */
interface CountedRecovery {
  readonly retained: number;
  readonly counters: { resumed: number; recovered: number; notRecovered: number; unrecorded: number };
  readonly history: { readonly stats: { entries: number; bytes: number } };
  readonly shared: unknown;
}

/** ServerStats.recovery (zeros when recovery is off). */
export function recoveryStats(recovery: CountedRecovery | null): RecoveryStats {
  if (recovery === null) return { retained: 0, resumed: 0, recovered: 0, notRecovered: 0, entries: 0, bytes: 0, unrecorded: 0, shared: false };
  const { entries, bytes } = recovery.history.stats;
  return { retained: recovery.retained, ...recovery.counters, entries, bytes, shared: recovery.shared !== null };
}
