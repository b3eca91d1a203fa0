// SharedHistory over Redis (src/router/shared-history.ts is the contract):
// the streams, positions and session records that several server processes
// share for session recovery, in Redis Streams and hashes under a prefix.
// Each operation that reads and then writes is one Lua script
// (./redis-history-scripts.ts), run by EVALSHA with its SHA-1 computed here,
// and by EVAL (which also caches it in Redis) when Redis answers NOSCRIPT
// (a restarted or flushed server). An append and its publication are one
// script, so the subscribers of a stream's channel get its entries in
// offset order whichever node appended them.
//
// The store runs on the application's publisher connection (not one in
// subscriber mode). Nothing here ever rejects or throws: while the client
// is not ready a call fails at once (neither library's offline queue gets
// it, so nothing runs late after a reconnect), and every failure (Redis
// unreachable, a script error, a reply of the wrong shape) is counted in
// stats.failures and resolves the documented "could not" value.
import { newEpoch, type StreamPosition } from '../router/history.js';
import type { SessionRecord, SharedEntry, SharedHistory, SharedHistoryStats } from '../router/shared-history.js';
import { toCommandLink, type Link, type RedisClientLike } from './redis-clients.js';
import { APPEND_OWNED, CLAIM, FINISH, POSITION, PUBLISH, SAVE, SINCE, type Script } from './redis-history-scripts.js';

export interface RedisHistoryOptions {
  /** A connected client (node-redis v4+ or ioredis) that is not in subscriber mode: the adapter's publisher. */
  client: RedisClientLike;
  /** Starts every key (`<prefix>h:<stream>`, `<prefix>m:<stream>`, `<prefix>s:<session>`). */
  prefix: string;
  /** Entries kept per stream (exact). */
  maxMessages: number;
  /** Entries older than this (ms) are gone. */
  maxAge: number;
  /** How long (ms) a stream's epoch and last offset outlive its last append or position(). Default 24 h; at least maxAge. */
  metaTtl?: number;
}

/** A stream's metadata lives this long after its last use when no metaTtl is given. */
export const DEFAULT_META_TTL = 24 * 60 * 60 * 1000;

/** The session-record fields the scripts read; the rest travels as JSON in `j`. */
type Rest = Omit<SessionRecord, 'node' | 'state' | 'hash' | 'expires'>;

const STATES: ReadonlySet<string> = new Set(['live', 'retained', 'claimed']);

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1) {
    throw new TypeError(`RedisHistory: ${name} must be a positive number`);
  }
  return Math.ceil(value);
}

/** A reply element as a string: node-redis and ioredis give strings, Buffers in some setups, numbers for integers. */
function str(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw new Error('RedisHistory: unexpected reply');
}

/** A non-negative integer from a reply (Redis keeps numbers as strings). */
function integer(value: unknown): number {
  const s = str(value);
  if (!/^\d{1,15}$/.test(s)) throw new Error(`RedisHistory: not an offset: ${s.slice(0, 32)}`);
  return Number(s);
}

function array(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new Error('RedisHistory: unexpected reply');
  return value;
}

/** The ms part of a stream entry id `<ms>-<seq>`: when Redis appended it. */
function idTime(id: unknown): number {
  const s = str(id);
  return integer(s.slice(0, s.indexOf('-')));
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

export class RedisHistory implements SharedHistory {
  readonly limits: { readonly maxMessages: number; readonly maxAge: number };
  readonly #link: Link;
  readonly #prefix: string;
  readonly #metaTtl: number;
  #failures = 0;

  constructor(options: RedisHistoryOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('RedisHistory: options { client, prefix, maxMessages, maxAge } are required');
    const { client, prefix, maxMessages, maxAge, metaTtl = DEFAULT_META_TTL } = options;
    if (typeof prefix !== 'string') throw new TypeError('RedisHistory: prefix must be a string');
    this.#link = toCommandLink(client, 'RedisHistory');
    this.#prefix = prefix;
    this.limits = Object.freeze({ maxMessages: positiveInteger(maxMessages, 'maxMessages'), maxAge: positiveInteger(maxAge, 'maxAge') });
    // The meta outlives the entries: without it they could not be read.
    this.#metaTtl = Math.max(positiveInteger(metaTtl, 'metaTtl'), this.limits.maxAge);
  }

  get stats(): SharedHistoryStats {
    return { failures: this.#failures };
  }

  publish(stream: string, text: string, except: string | null, channel: string, head: string): Promise<boolean> {
    return this.#guard(false, async () => {
      await this.#run(PUBLISH, [...this.#streamKeys(stream), this.#seqKey], [channel, head, ...this.#appendArgs(stream, text, except)]);
      return true;
    });
  }

  appendOwned(stream: string, text: string, session: string, node: string): Promise<SharedEntry | null> {
    return this.#guard(null, async () => {
      const keys = [...this.#streamKeys(stream), this.#recordKey(session), this.#seqKey];
      const reply = await this.#run(APPEND_OWNED, keys, [node, ...this.#appendArgs(stream, text, null)]);
      if (reply === null) return null;
      const [o, e, id, full, q] = array(reply);
      return { stream, offset: integer(o), epoch: str(e), text: str(full), except: null, time: idTime(id), seq: integer(q) };
    });
  }

  position(stream: string): Promise<StreamPosition> {
    // An epoch no stream has: a client given it recovers nothing later.
    return this.#guard({ e: '', o: 0 }, async () => {
      const [e, o] = array(await this.#run(POSITION, [this.#metaKey(stream)], [newEpoch(), String(this.#metaTtl)]));
      return { e: str(e), o: integer(o) };
    });
  }

  since(stream: string, from: StreamPosition): Promise<SharedEntry[] | null> {
    return this.#guard(null, async () => {
      if (typeof from?.e !== 'string' || !Number.isSafeInteger(from.o) || from.o < 0) return null;
      const args = [from.e, String(from.o), String(this.limits.maxMessages), String(this.limits.maxAge)];
      const reply = await this.#run(SINCE, this.#streamKeys(stream), args);
      if (reply === null) return null;
      const flat = array(reply);
      const entries: SharedEntry[] = [];
      for (let i = 0; i + 4 < flat.length; i += 5) {
        const x = str(flat[i + 2]);
        entries.push({
          stream,
          offset: integer(flat[i + 1]),
          epoch: from.e,
          text: str(flat[i + 3]),
          except: x === '' ? null : x.slice(1),
          time: idTime(flat[i]),
          seq: integer(flat[i + 4]),
        });
      }
      return entries;
    });
  }

  save(id: string, record: SessionRecord, ttl: number): Promise<boolean> {
    return this.#guard(false, async () => {
      const { node, state, hash, expires, ...rest } = record;
      // JSON.stringify throws on a cycle or a BigInt in `data`: counted, false.
      const json = JSON.stringify(rest satisfies Rest);
      const args = [String(Math.max(1, Math.ceil(ttl))), node, state, hash, String(Math.max(0, Math.floor(expires))), json];
      await this.#run(SAVE, [this.#recordKey(id)], args);
      return true;
    });
  }

  claim(id: string, hash: string, node: string, now: number): Promise<SessionRecord | null> {
    return this.#guard(null, async () => {
      const reply = await this.#run(CLAIM, [this.#recordKey(id)], [hash, node, String(Math.floor(now))]);
      if (reply === null) return null;
      const [n, state, h, expires, j] = array(reply).map(str);
      if (!STATES.has(state!)) throw new Error('RedisHistory: a session record of an unknown state');
      const rest = JSON.parse(j!) as Rest;
      // The record as it was before the claim: its holder then, its state then.
      return { ...rest, node: n!, state: state as SessionRecord['state'], hash: h!, expires: integer(expires) };
    });
  }

  finish(id: string, node: string): Promise<boolean> {
    return this.#guard(false, async () => {
      const keys = [this.#recordKey(id), ...this.#streamKeys(`u:${id}`)];
      return str(await this.#run(FINISH, keys, [node])) === '1';
    });
  }

  touch(ids: readonly string[], ttl: number): void {
    try {
      if (!this.#link.ready()) {
        if (ids.length > 0) this.#failures++;
        return;
      }
      const ms = String(Math.max(1, Math.ceil(ttl)));
      // One command per record, not awaited: both clients write them out
      // back to back (a pipeline); a record that lapsed stays gone.
      for (const id of ids) {
        this.#link.command(['PEXPIRE', this.#recordKey(id), ms]).catch(() => this.#failures++);
      }
    } catch {
      this.#failures++;
    }
  }

  /** The store's one sequence over every stream's appends. */
  get #seqKey(): string {
    return `${this.#prefix}q`;
  }

  #streamKeys(stream: string): string[] {
    return [`${this.#prefix}h:${stream}`, this.#metaKey(stream)];
  }

  #metaKey(stream: string): string {
    return `${this.#prefix}m:${stream}`;
  }

  #recordKey(id: string): string {
    return `${this.#prefix}s:${id}`;
  }

  /** The ARGV tail of the append function of the scripts. */
  #appendArgs(stream: string, text: string, except: string | null): string[] {
    const { maxMessages, maxAge } = this.limits;
    return [newEpoch(), text, JSON.stringify(stream), except === null ? '' : `=${except}`, String(maxMessages), String(maxAge), String(this.#metaTtl)];
  }

  /** Runs a script by its SHA-1, by its body when Redis does not have it. */
  async #run(script: Script, keys: string[], args: string[]): Promise<unknown> {
    if (!this.#link.ready()) throw new Error('RedisHistory: the client is not ready');
    const tail = [String(keys.length), ...keys, ...args];
    if (script.ordered) return this.#link.command(['EVAL', script.body, ...tail]);
    try {
      return await this.#link.command(['EVALSHA', script.sha, ...tail]);
    } catch (error) {
      // NOSCRIPT: nothing ran, so running the body is not a second run.
      if (!isNoScript(error)) throw error;
    }
    return this.#link.command(['EVAL', script.body, ...tail]);
  }

  /** Runs `work`; any failure, synchronous or not, is counted and resolves `fallback`. */
  async #guard<T>(fallback: T, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch {
      this.#failures++;
      return fallback;
    }
  }
}
