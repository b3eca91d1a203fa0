// Reading what the server sends. Nothing from the network is trusted: every
// field is checked before it reaches the app, and a malformed message is
// reported as an error instead of throwing out of the socket's handler.

import type { ErrorCode, ServerMessageType, StreamPosition } from '../router/wire.js';
import { ClientProtocolError, ServerError } from './errors.js';
import type { EventMeta, PresenceChange, PublicClient, SelfInfo, Sender } from './types.js';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The `error` object of an error answer, as a ServerError. */
export function toServerError(error: unknown): ServerError {
  if (!isRecord(error)) return new ServerError('internal_error', 'the server answered with an unreadable error');
  const code = (str(error.code) ?? 'internal_error') as ErrorCode;
  return new ServerError(code, str(error.message) ?? code, error.details);
}

export function senderOf(value: unknown): Sender | null {
  if (!isRecord(value) || typeof value.id !== 'string') return null;
  return { id: value.id, alias: str(value.alias) };
}

export function publicClientOf(value: unknown): PublicClient | null {
  if (!isRecord(value) || typeof value.id !== 'string') return null;
  return {
    id: value.id,
    alias: str(value.alias),
    available: value.available === true,
    publicData: value.publicData ?? null,
    connected: value.connected !== false,
  };
}

/**
 * The `pos` of a recoverable push. One that is absent or unreadable is
 * null: the push is still delivered, it just cannot be told apart from a
 * replay of it.
 */
export function positionOf(value: unknown): StreamPosition | null {
  if (!isRecord(value) || typeof value.s !== 'string' || typeof value.e !== 'string') return null;
  const o = value.o;
  return typeof o === 'number' && Number.isSafeInteger(o) && o >= 1 ? { s: value.s, e: value.e, o } : null;
}

export function selfOf(value: unknown): SelfInfo | null {
  const client = publicClientOf(value);
  if (client === null || !isRecord(value)) return null;
  const groups = Array.isArray(value.groups) ? value.groups.filter((g): g is string => typeof g === 'string') : [];
  return { ...client, groups };
}

/**
 * Turns presence snapshots into changes by comparing each with the last one
 * seen for that client. Forgotten when the connection drops, since updates
 * missed while disconnected would make the comparison wrong.
 */
export class PresenceTracker {
  readonly #known = new Map<string, PublicClient>();

  update(client: PublicClient): PresenceChange[] {
    const previous = this.#known.get(client.id);
    if (!client.connected) {
      this.#known.delete(client.id);
      return ['disconnect'];
    }
    this.#known.set(client.id, client);
    if (previous === undefined) return ['connect'];
    const changes: PresenceChange[] = [];
    if (previous.alias !== client.alias) changes.push('alias');
    if (previous.available !== client.available) changes.push('availability');
    return changes;
  }

  /**
   * A `clients()` list refreshes what is known. It only holds visible
   * clients, so clients missing from it are kept: they may merely lack an
   * alias, and their disconnect will still be announced.
   */
  merge(list: readonly PublicClient[]): void {
    for (const client of list) this.#known.set(client.id, client);
  }

  clear(): void {
    this.#known.clear();
  }
}

/** One message from the server, checked and sorted. */
export type Inbound =
  | { kind: 'answer'; id: unknown; error: ServerError | null; data: unknown }
  | { kind: 'event'; data: unknown; meta: EventMeta; pos: StreamPosition | null }
  | { kind: 'message'; data: unknown; from: Sender; pos: StreamPosition | null }
  | { kind: 'presence'; client: PublicClient }
  /** The session expires soon unless refreshed (docs/protocol.md, "Refreshing a session"). */
  | { kind: 'expiring' }
  | { kind: 'bad'; error: ClientProtocolError }
  /** A type this client does not know: left for newer clients (forward compatibility). */
  | { kind: 'unknown' };

export function readMessage(raw: unknown): Inbound {
  let msg: unknown;
  try {
    msg = typeof raw === 'string' ? JSON.parse(raw) : undefined;
  } catch {
    msg = undefined;
  }
  if (!isRecord(msg)) return { kind: 'bad', error: new ClientProtocolError('the server sent a message that is not a JSON object') };
  // Typed by the wire module, so a case here is always a type the server sends.
  switch (msg.type as ServerMessageType) {
    case 'reply':
      return { kind: 'answer', id: msg.id, error: null, data: msg.data ?? null };
    case 'error':
      return { kind: 'answer', id: msg.id, error: toServerError(msg.error), data: null };
    case 'event':
      if (typeof msg.event !== 'string') break;
      return { kind: 'event', data: msg.data ?? null, meta: { event: msg.event, group: str(msg.group), from: senderOf(msg.from) }, pos: positionOf(msg.pos) };
    case 'message': {
      const from = senderOf(msg.from);
      if (from === null) break;
      return { kind: 'message', data: msg.data ?? null, from, pos: positionOf(msg.pos) };
    }
    case 'presence': {
      const client = publicClientOf(msg.client);
      if (client === null) break;
      return { kind: 'presence', client };
    }
    case 'expiring':
      return { kind: 'expiring' };
    default:
      return { kind: 'unknown' };
  }
  return { kind: 'bad', error: new ClientProtocolError(`the server sent a malformed "${String(msg.type)}" message`) };
}
