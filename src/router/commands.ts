// The protocol-independent vocabulary of the router. Each wire codec (our own
// JSON protocol, the legacy 0.2.x one) decodes text into a Command and turns
// an Outcome back into text, so every rule is enforced once, in one place,
// whichever protocol a client speaks.

import type { PublicClient, WireError } from './wire.js';

/** A decoded `resume` (session recovery): the session, its token, and the last position received per stream. */
export interface ResumeRequest {
  session: string;
  token: string;
  positions: Record<string, { e: string; o: number }>;
}

/** Who a private message is for: a session id or a public alias. */
export type Target = { id: string } | { alias: string };

export type Command =
  | { kind: 'auth'; credentials: unknown; resume?: ResumeRequest | null }
  | { kind: 'refresh'; credentials: unknown }
  | { kind: 'request'; name: string; body: unknown }
  | { kind: 'echo'; body: unknown }
  | { kind: 'broadcast'; event: string; group: string | null; data: unknown }
  | { kind: 'private'; to: Target; data: unknown }
  | { kind: 'join'; group: string }
  | { kind: 'leave'; group: string }
  | { kind: 'leaveAll' }
  | { kind: 'clients' }
  | { kind: 'getAlias' }
  | { kind: 'getAvailability' }
  | { kind: 'update'; alias?: string | null; available?: boolean };

/**
 * The result of one command. `raw` carries what the application itself passed
 * to `respond(error, data)`, which the legacy protocol forwards verbatim.
 */
export type Outcome =
  | { ok: true; value: unknown }
  | { ok: false; error: WireError; raw?: { error: unknown; response: unknown } };

/** A decoded inbound message: the command, or why it was refused. */
export type Decoded<Ref> =
  | { ok: true; ref: Ref; command: Command }
  | { ok: false; ref: Ref | null; error: WireError };

/** One wire protocol: how text becomes commands and results become text. */
export interface Codec<Ref = unknown> {
  readonly name: 'v1' | 'legacy';
  /**
   * True when a message other than authentication, sent before the session
   * started, closes the connection (1008) instead of getting an error reply.
   */
  readonly closeOnUnauthenticated: boolean;
  decode(text: string): Decoded<Ref>;
  /** The reply to one command, or null when the protocol sends none. */
  reply(ref: Ref | null, command: Command | null, outcome: Outcome): string | null;
  event(event: string, group: string | null, data: unknown, from: PublicClient | null): string;
  privateMessage(from: PublicClient, data: unknown): string;
  presence(client: PublicClient): string;
}

/** Limits every codec applies while decoding. */
export interface DecodeLimits {
  maxDepth: number;
  maxNameLength: number;
  /** Most stream positions a `resume` may carry. */
  maxPositions?: number;
}

export function ok(value: unknown): Outcome {
  return { ok: true, value };
}

export function fail(code: WireError['code'], message: string): Outcome {
  return { ok: false, error: { code, message } };
}

/** A non-empty string no longer than the limit: event, request, group and alias names. */
export function isName(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max;
}

/**
 * Event names the wire protocols use for their own pushes. The 0.2.x
 * protocol renders events, private messages (`msgFromClient`) and presence
 * (`__updateClientsState`) in one envelope, told apart only by this name, so
 * an event under such a name would be read as a forged private message or
 * presence change. Every name starting with `__` is kept for the protocols.
 */
export function isReservedEvent(name: string): boolean {
  return name.startsWith('__') || name === 'msgFromClient';
}

/** Throws the TypeError application code gets for an event name it may not use. */
export function checkEventName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name === '') throw new TypeError('event must be a non-empty string');
  if (isReservedEvent(name)) throw new TypeError(`event name "${name}" is reserved (names starting with "__", and "msgFromClient")`);
}
