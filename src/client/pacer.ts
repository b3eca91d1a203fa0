// Pacing of what the client sends, so that a well-behaved application never
// meets the server's limits. The server announces them when the session
// starts (`limits` in the auth answer, docs/protocol.md): how many messages
// may be in progress at once, and the token bucket of its message rate.
// Like HTTP/2's SETTINGS_MAX_CONCURRENT_STREAMS, the sender holds back
// instead of being refused: calls past the window wait here until an answer
// frees a slot, and calls past the rate wait for the next token.
//
// The model is kept below the announced values: the server also charges a
// token for each control frame (our automatic pongs), the two clocks are not
// the same, and messages sent apart can arrive together (a stalled network
// or server event loop): half of the server's burst stays in reserve for
// that, so a stall of up to burst / 2 messages' worth of time costs nothing. Sent calls that timed out or were aborted still
// hold their slot until the server's answer arrives, since the server is
// still working on them.

import type { AnnouncedLimits } from '../router/wire.js';

/**
 * What the server announces (all optional: a server that says nothing is
 * assumed to have the defaults). A `maxPayload` of 0 means not announced:
 * nothing is checked.
 */
type ServerLimits = AnnouncedLimits;

/** The server's defaults (docs/server.md), assumed until the server says otherwise. */
export const DEFAULT_LIMITS: ServerLimits = { maxInflight: 100, rate: { messagesPerSecond: 100, burst: 200 }, maxPayload: 0 };

/** Share of the announced rate the client uses. */
const RATE_SHARE = 0.9;

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

function positive(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/** Reads the `limits` of an auth answer; anything malformed falls back to the defaults. */
export function limitsOf(value: unknown): ServerLimits {
  if (typeof value !== 'object' || value === null) return DEFAULT_LIMITS;
  const v = value as Record<string, unknown>;
  const maxInflight = v.maxInflight === 0 ? 0 : positive(v.maxInflight) ? Math.floor(v.maxInflight) : DEFAULT_LIMITS.maxInflight;
  let rate = DEFAULT_LIMITS.rate;
  if (v.rate === null) rate = null;
  else if (typeof v.rate === 'object' && v.rate !== null) {
    const r = v.rate as Record<string, unknown>;
    if (positive(r.messagesPerSecond) && positive(r.burst)) rate = { messagesPerSecond: r.messagesPerSecond, burst: r.burst };
  }
  const maxPayload = positive(v.maxPayload) ? v.maxPayload : 0;
  return { maxInflight, rate, maxPayload };
}

export class Pacer {
  #limits: ServerLimits = DEFAULT_LIMITS;
  /** Ids of sent app calls the server has not answered yet (timed-out ones included). */
  readonly #unanswered = new Set<number>();
  #tokens = 0;
  #stamp = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    this.reset();
  }

  /**
   * The window: exactly the server's. The server frees a slot before it
   * sends the answer and the client only when the answer arrives, so the
   * client's count is never below the server's.
   */
  get #window(): number {
    const max = this.#limits.maxInflight;
    return max === 0 ? Infinity : max;
  }

  get #rate(): { perMs: number; burst: number } | null {
    const r = this.#limits.rate;
    if (r === null) return null;
    return { perMs: (r.messagesPerSecond * RATE_SHARE) / 1000, burst: Math.max(1, Math.floor(r.burst / 2)) };
  }

  /** A new connection: the server's bucket starts full and nothing is in progress. */
  reset(): void {
    this.#unanswered.clear();
    this.#tokens = this.#rate?.burst ?? 0;
    this.#stamp = now();
    this.cancel();
  }

  /** The limits the server announced for this connection. */
  configure(limits: ServerLimits): void {
    this.#limits = limits;
    const rate = this.#rate;
    if (rate !== null) this.#tokens = Math.min(this.#tokens, rate.burst);
  }

  /** The size check of an outgoing message: null when it may go, else the limit it breaks. */
  tooLarge(text: string): number | null {
    const max = this.#limits.maxPayload;
    // UTF-8 takes at most 3 bytes per UTF-16 code unit: most messages need no count.
    if (max === 0 || text.length * 3 <= max) return null;
    return utf8Length(text) > max ? max : null;
  }

  /** Messages sent and not answered. */
  get inProgress(): number {
    return this.#unanswered.size;
  }

  /** 0 when an app call may go out now; otherwise ms until a token is due, or -1 to wait for an answer. */
  wait(): number {
    if (this.#unanswered.size >= this.#window) return -1;
    const rate = this.#rate;
    if (rate === null) return 0;
    this.#refill(rate);
    return this.#tokens >= 1 ? 0 : Math.ceil((1 - this.#tokens) / rate.perMs);
  }

  /** Every message sent costs a token; app calls also take a slot until answered. */
  sent(id: number | null): void {
    const rate = this.#rate;
    if (rate !== null) {
      this.#refill(rate);
      this.#tokens -= 1;
    }
    if (id !== null) this.#unanswered.add(id);
  }

  /** An answer arrived; true when it freed a slot. */
  answered(id: unknown): boolean {
    return typeof id === 'number' && this.#unanswered.delete(id);
  }

  /** Calls `fn` once after `ms` (one timer at most). */
  schedule(ms: number, fn: () => void): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      fn();
    }, ms);
  }

  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #refill(rate: { perMs: number; burst: number }): void {
    const t = now();
    this.#tokens = Math.min(rate.burst, this.#tokens + (t - this.#stamp) * rate.perMs);
    this.#stamp = t;
  }
}

/** Bytes of `text` in UTF-8, without encoding it. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
