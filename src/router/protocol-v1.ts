// Our own wire protocol, version 1 (docs/protocol.md). Selected when the
// client offers PROTOCOL_V1 (./wire.ts) in Sec-WebSocket-Protocol. Every
// client message carries an `id` and gets exactly one answer: a `reply` or an
// `error` with the same id. The message shapes, by `type`, are ./wire.ts's
// ClientMessages and ServerMessages.

import type { Codec, Command, DecodeLimits, Decoded, ResumeRequest } from './commands.js';
import { isName } from './commands.js';
import { isRecord, parseUntrusted, stringifySafe } from './json.js';
import type { StreamPosition } from './history.js';
import type { ClientMessageType, PublicClient, RequestId, ServerMessage, WireError } from './wire.js';

const MAX_ID_LENGTH = 128;

function isRequestId(value: unknown): value is RequestId {
  return (typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH) || Number.isSafeInteger(value);
}

const bad = (ref: RequestId | null, message: string): Decoded<RequestId> => ({
  ok: false,
  ref,
  error: { code: 'bad_message', message },
});

function decodeFields(msg: Record<string, unknown>, limits: DecodeLimits): Command | string {
  const name = (v: unknown) => isName(v, limits.maxNameLength);
  // Typed by the wire module, so a case here is always a type the client may send.
  switch (msg.type as ClientMessageType) {
    case 'auth': {
      if (msg.resume === undefined || msg.resume === null) return { kind: 'auth', credentials: msg.credentials ?? null };
      const resume = decodeResume(msg.resume, limits);
      if (typeof resume === 'string') return resume;
      return { kind: 'auth', credentials: msg.credentials ?? null, resume };
    }
    case 'refresh':
      return { kind: 'refresh', credentials: msg.credentials ?? null };
    case 'request':
      if (!name(msg.name)) return `"name" must be a string of 1 to ${limits.maxNameLength} characters`;
      return { kind: 'request', name: msg.name, body: msg.data ?? null };
    case 'broadcast': {
      const group = msg.group ?? null;
      if (!name(msg.event)) return `"event" must be a string of 1 to ${limits.maxNameLength} characters`;
      if (group !== null && !name(group)) return '"group" must be null or a non-empty string';
      return { kind: 'broadcast', event: msg.event, group, data: msg.data ?? null };
    }
    case 'message': {
      const to = msg.to;
      if (!isRecord(to)) return '"to" must be an object with "id" or "alias"';
      if ('id' in to && name(to.id)) return { kind: 'private', to: { id: to.id }, data: msg.data ?? null };
      if ('alias' in to && name(to.alias)) return { kind: 'private', to: { alias: to.alias }, data: msg.data ?? null };
      return '"to" must be an object with a string "id" or "alias"';
    }
    case 'join':
    case 'leave':
      if (!name(msg.group)) return `"group" must be a string of 1 to ${limits.maxNameLength} characters`;
      return { kind: msg.type as 'join' | 'leave', group: msg.group };
    case 'clients':
      return { kind: 'clients' };
    case 'update': {
      const cmd: Command & { kind: 'update' } = { kind: 'update' };
      if ('alias' in msg) {
        if (msg.alias !== null && !name(msg.alias)) return '"alias" must be null or a non-empty string';
        cmd.alias = msg.alias as string | null;
      }
      if ('available' in msg) {
        if (typeof msg.available !== 'boolean') return '"available" must be a boolean';
        cmd.available = msg.available;
      }
      if (cmd.alias === undefined && cmd.available === undefined) return 'update needs "alias" or "available"';
      return cmd;
    }
    default:
      return '';
  }
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const EPOCH_MAX = 64;

/** Checks a `resume` (docs/protocol.md, "Resuming a session"); a string is why it is malformed. */
function decodeResume(value: unknown, limits: DecodeLimits): ResumeRequest | string {
  if (!isRecord(value)) return '"resume" must be an object';
  const { session, token, positions } = value;
  if (!isName(session, limits.maxNameLength)) return '"resume.session" must be a session id';
  if (typeof token !== 'string' || !TOKEN.test(token)) return '"resume.token" must be a 43-character token';
  if (!isRecord(positions)) return '"resume.positions" must be an object';
  const names = Object.keys(positions);
  const most = limits.maxPositions ?? 130;
  if (names.length > most) return `"resume.positions" may name at most ${most} streams`;
  const out: Record<string, StreamPosition> = Object.create(null) as Record<string, StreamPosition>;
  for (const name of names) {
    if (name === '' || name.length > limits.maxNameLength + 2) return '"resume.positions" has a stream name of the wrong length';
    const p = positions[name];
    if (!isRecord(p) || typeof p.e !== 'string' || p.e === '' || p.e.length > EPOCH_MAX || !Number.isSafeInteger(p.o) || (p.o as number) < 0) {
      return `"resume.positions" entries must be { "e": epoch, "o": offset }`;
    }
    out[name] = { e: p.e, o: p.o as number };
  }
  return { session, token, positions: out };
}

export function createV1Codec(limits: DecodeLimits): Codec<RequestId> {
  return {
    name: 'v1',
    closeOnUnauthenticated: false,
    decode(text) {
      const parsed = parseUntrusted(text, limits);
      if (!parsed.ok) {
        const id = isRecord(parsed.parsed) && Object.hasOwn(parsed.parsed, 'id') ? parsed.parsed.id : null;
        return bad(isRequestId(id) ? id : null, parsed.reason);
      }
      const msg = parsed.value;
      if (!isRecord(msg)) return bad(null, 'a message must be a JSON object');
      if (!isRequestId(msg.id)) return bad(null, `"id" must be a safe integer or a string of 1 to ${MAX_ID_LENGTH} characters`);
      if (typeof msg.type !== 'string') return bad(msg.id, '"type" must be a string');
      const command = decodeFields(msg, limits);
      if (command === '') {
        return { ok: false, ref: msg.id, error: { code: 'unknown_type', message: 'unknown message type' } };
      }
      if (typeof command === 'string') return bad(msg.id, command);
      return { ok: true, ref: msg.id, command };
    },
    reply(ref, _command, outcome) {
      if (outcome.ok) {
        // A command that succeeded was decoded, so it has its id.
        const text = stringifySafe({ type: 'reply', id: ref!, data: outcome.value ?? null } satisfies ServerMessage<'reply'>);
        if (text !== null) return text;
        return errorText(ref, { code: 'internal_error', message: 'the response could not be serialized' });
      }
      return errorText(ref, outcome.error);
    },
    event(event, group, data, from) {
      const msg: ServerMessage<'event'> = { type: 'event', event, group, data: data ?? null };
      if (from !== null) msg.from = { id: from.id, alias: from.alias };
      return JSON.stringify(msg);
    },
    privateMessage(from, data) {
      return JSON.stringify({ type: 'message', from: { id: from.id, alias: from.alias }, data: data ?? null } satisfies ServerMessage<'message'>);
    },
    presence(client: PublicClient) {
      return JSON.stringify({ type: 'presence', client } satisfies ServerMessage<'presence'>);
    },
  };
}

function errorText(ref: RequestId | null, error: WireError): string {
  // Application-supplied details may not be serializable; drop them rather than fail.
  return (
    stringifySafe({ type: 'error', id: ref, error } satisfies ServerMessage<'error'>) ??
    JSON.stringify({ type: 'error', id: ref, error: { code: error.code, message: String(error.message) } } satisfies ServerMessage<'error'>)
  );
}

