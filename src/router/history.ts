// Message history for session recovery (docs/server.md, "Session recovery").
// Every recoverable push is appended to a stream — `all`, `g:<group>` or
// `u:<session id>` — and numbered there: an epoch (random, made when the
// stream's metadata is created) and offsets 1, 2, 3... A client that comes
// back names the last position it received on each stream; the entries
// after it, still here, are what it missed. The model is Centrifuge's
// stream history: offset + epoch, recovery all or nothing.
//
// The store sits behind HistoryStore, so a shared store (another process,
// a broker) can replace the in-memory one. The memory store keeps one deque
// per stream (oldest first) and one global FIFO in append order: entries
// past `maxMessages` leave their own stream, entries past `maxBytes` or
// older than `maxDisconnection` leave from the global front, so the oldest
// history of any stream goes first. Appending is O(1) amortized; reading a
// gap is O(gap) after a binary search for its start.

import { randomBytes } from 'node:crypto';

/** A position in a stream: what a `pos` field carries. */
export interface StreamPosition {
  /** The stream's epoch: offsets compare only within one. */
  e: string;
  /** The offset of the last entry (0: before the first). */
  o: number;
}

/** One recorded push. */
export interface HistoryEntry {
  readonly stream: string;
  readonly offset: number;
  /** Node-global order of appends: gaps of several streams merge by it. */
  readonly seq: number;
  /** Date.now() at append. */
  readonly time: number;
  /** The v1 text with its `pos`, as every recipient receives it. */
  readonly text: string;
  /** The session left out of this push (the sender), or null. */
  readonly except: string | null;
  /** UTF-8 length of `text`. */
  readonly size: number;
  /** Set once the entry left history. */
  dropped: boolean;
}

export interface HistoryLimits {
  maxMessages: number;
  maxBytes: number;
  /** Entries older than this (ms) leave history; so does an idle stream's metadata. */
  maxAge: number;
}

export interface HistoryStats {
  entries: number;
  bytes: number;
  streams: number;
}

/** Where recoverable pushes are kept. */
export interface HistoryStore {
  /**
   * Appends a push rendered without position: `text` is a JSON object's
   * text; the entry's text is it with `"pos"` as its last field.
   */
  append(stream: string, text: string, except: string | null, now: number): HistoryEntry;
  /** The stream's current position (creating its metadata when there is none). */
  position(stream: string, now: number): StreamPosition;
  /**
   * The entries after `from`, oldest first, or null when they cannot all be
   * given: another epoch, an offset ahead of the stream, or entries gone.
   */
  since(stream: string, from: StreamPosition, now: number): HistoryEntry[] | null;
  /** A session receives the stream (its metadata is kept while it has any). */
  ref(stream: string): void;
  unref(stream: string): void;
  /** Drops what is past the age limit, and the metadata of idle streams. */
  sweep(now: number): void;
  readonly stats: HistoryStats;
}

interface Stream {
  epoch: string;
  /** JSON of the pos prefix: `,"pos":{"s":<name>,"e":"<epoch>","o":`. */
  prefix: string;
  last: number;
  entries: HistoryEntry[];
  /** Index of the oldest entry still kept in `entries`. */
  head: number;
  refs: number;
  lastAppend: number;
}

/** A new epoch: 6 random bytes, 8 base64url characters. */
export function newEpoch(): string {
  return randomBytes(6).toString('base64url');
}

export class MemoryHistory implements HistoryStore {
  readonly #limits: HistoryLimits;
  readonly #streams = new Map<string, Stream>();
  #fifo: HistoryEntry[] = [];
  #fifoHead = 0;
  #seq = 0;
  #entries = 0;
  #bytes = 0;

  constructor(limits: HistoryLimits) {
    this.#limits = limits;
  }

  get stats(): HistoryStats {
    return { entries: this.#entries, bytes: this.#bytes, streams: this.#streams.size };
  }

  #stream(name: string, now: number): Stream {
    let s = this.#streams.get(name);
    if (s === undefined) {
      const epoch = newEpoch();
      s = { epoch, prefix: `,"pos":{"s":${JSON.stringify(name)},"e":"${epoch}","o":`, last: 0, entries: [], head: 0, refs: 0, lastAppend: now };
      this.#streams.set(name, s);
    }
    return s;
  }

  append(stream: string, text: string, except: string | null, now: number): HistoryEntry {
    const s = this.#stream(stream, now);
    const offset = ++s.last;
    s.lastAppend = now;
    const full = `${text.slice(0, -1)}${s.prefix}${offset}}}`;
    const entry: HistoryEntry = { stream, offset, seq: ++this.#seq, time: now, text: full, except, size: Buffer.byteLength(full), dropped: false };
    s.entries.push(entry);
    this.#fifo.push(entry);
    this.#entries++;
    this.#bytes += entry.size;
    if (s.entries.length - s.head > this.#limits.maxMessages) this.#drop(s.entries[s.head]!, s);
    this.#evict(now);
    return entry;
  }

  position(stream: string, now: number): StreamPosition {
    const s = this.#stream(stream, now);
    return { e: s.epoch, o: s.last };
  }

  since(stream: string, from: StreamPosition, now: number): HistoryEntry[] | null {
    this.#evict(now);
    const s = this.#streams.get(stream);
    if (s === undefined) return null;
    if (from.e !== s.epoch || from.o > s.last || from.o < 0) return null;
    if (from.o === s.last) return [];
    const oldest = s.head < s.entries.length ? s.entries[s.head]!.offset : s.last + 1;
    // The entry right after `from` must still be here.
    if (from.o + 1 < oldest) return null;
    // Offsets within the deque are consecutive: the start is an index away.
    return s.entries.slice(s.head + (from.o + 1 - oldest));
  }

  ref(stream: string): void {
    this.#stream(stream, Date.now()).refs++;
  }

  unref(stream: string): void {
    const s = this.#streams.get(stream);
    if (s !== undefined && s.refs > 0) s.refs--;
  }

  sweep(now: number): void {
    this.#evict(now);
    const idleBefore = now - this.#limits.maxAge;
    for (const [name, s] of this.#streams) {
      if (s.refs === 0 && s.head === s.entries.length && s.lastAppend <= idleBefore) this.#streams.delete(name);
    }
  }

  /** Drops from the global front: over the byte bound, or past the age limit. */
  #evict(now: number): void {
    const { maxBytes, maxAge } = this.#limits;
    const tooOld = now - maxAge;
    const fifo = this.#fifo;
    while (this.#fifoHead < fifo.length) {
      const oldest = fifo[this.#fifoHead]!;
      if (!oldest.dropped && this.#bytes <= maxBytes && oldest.time > tooOld) break;
      this.#fifoHead++;
      if (!oldest.dropped) this.#drop(oldest, this.#streams.get(oldest.stream)!);
    }
    if (this.#fifoHead > 1024 && this.#fifoHead * 2 > fifo.length) {
      this.#fifo = fifo.slice(this.#fifoHead);
      this.#fifoHead = 0;
    }
  }

  /** Removes a stream's oldest entry (always the one given: both orders agree). */
  #drop(entry: HistoryEntry, s: Stream): void {
    entry.dropped = true;
    this.#entries--;
    this.#bytes -= entry.size;
    s.head++;
    if (s.head > 64 && s.head * 2 > s.entries.length) {
      s.entries = s.entries.slice(s.head);
      s.head = 0;
    }
  }
}
