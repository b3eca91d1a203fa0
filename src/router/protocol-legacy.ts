// The ws-node-server 0.2.x wire protocol, spoken to every connection that
// does not negotiate our own subprotocol, so clients written for the original
// package keep working. Envelope: `{ info: { action, request, group,
// packageID }, data }` in, `{ info, error, response }` out, where `info` is
// the client's own object echoed back unchanged (clients match replies by
// `packageID`).

import type { Codec, Command, DecodeLimits, Decoded, Outcome } from './commands.js';
import { isName } from './commands.js';
import { inspect, isRecord, parseUntrusted, stringifySafe } from './json.js';
import type { ErrorCode, PublicClient } from './wire.js';

type Info = Record<string, unknown>;

/** Error texts that legacy clients know, by the code our router uses for them. */
const LEGACY_TEXT: Partial<Record<ErrorCode, string>> = {
  unknown_request: 'invalid call request',
  not_found: 'client not found',
  unavailable: 'you are not available.Update your availability',
};

/** Legacy wire shape of a client's public state. */
function legacyClient(c: PublicClient): Record<string, unknown> {
  return { uuid: c.id, publicAlias: c.alias, publicInmutableData: c.publicData, isAvailable: c.available, connected: c.connected };
}

function refuse(info: Info | null, code: ErrorCode, text: string): Decoded<Info> {
  return { ok: false, ref: info, error: { code, message: text } };
}

function decodeInfo(info: Info, data: unknown, limits: DecodeLimits): Command | Decoded<Info> {
  const name = (v: unknown) => isName(v, limits.maxNameLength);
  const { action, request, group } = info;
  switch (action) {
    case 'auth':
      if (request !== 'login') return refuse(info, 'unknown_type', 'invalid auth request');
      return { kind: 'auth', credentials: data ?? null };
    case 'call':
      if (!name(request)) return refuse(info, 'unknown_request', 'invalid call request');
      return request === 'echo' ? { kind: 'echo', body: data ?? null } : { kind: 'request', name: request, body: data ?? null };
    case 'group':
      if (request === 'leaveAll') return { kind: 'leaveAll' };
      if ((request === 'join' || request === 'leave') && name(group)) return { kind: request, group };
      return refuse(info, 'bad_message', 'invalid group request');
    case 'broadcast':
      if (!name(request)) return refuse(info, 'bad_message', 'invalid broadcast request');
      if (group !== undefined && group !== null && !name(group)) return refuse(info, 'bad_message', 'invalid broadcast group');
      return { kind: 'broadcast', event: request, group: (group as string | null | undefined) ?? null, data: data ?? null };
    case 'channel':
      return decodeChannel(info, data, limits);
    default:
      return refuse(info, 'unknown_type', 'invalid action');
  }
}

function decodeChannel(info: Info, data: unknown, limits: DecodeLimits): Command | Decoded<Info> {
  switch (info.request) {
    case 'getAvailableClients':
      return { kind: 'clients' };
    case 'getPublicAlias':
      return { kind: 'getAlias' };
    case 'getPublicAvailability':
      return { kind: 'getAvailability' };
    case 'updatePublicAvailability':
      if (!isRecord(data) || typeof data.isAvailable !== 'boolean') return refuse(info, 'bad_message', 'isAvailable must be a boolean');
      return { kind: 'update', available: data.isAvailable };
    case 'updatePublicAlias': {
      const alias = isRecord(data) ? data.publicAlias : undefined;
      if (alias !== null && !isName(alias, limits.maxNameLength)) return refuse(info, 'bad_message', 'publicAlias must be a string or null');
      return { kind: 'update', alias };
    }
    case 'sendToClient':
      if (!isName(info.group, limits.maxNameLength)) return refuse(info, 'not_found', 'client not found');
      return { kind: 'private', to: { id: info.group }, data: data ?? null };
    default:
      return refuse(info, 'unknown_type', 'invalid channel request');
  }
}

/** The `response` a legacy client expects for a successful command. */
function legacyValue(command: Command, value: unknown): unknown {
  switch (command.kind) {
    case 'auth':
      return (value as { session: unknown }).session;
    case 'join':
    case 'leave':
    case 'leaveAll':
      return { done: true };
    case 'clients':
      return (value as PublicClient[]).map(legacyClient);
    case 'getAlias':
      return { currentAlias: value };
    case 'getAvailability':
      return { currentAvailability: value };
    case 'update': {
      const state = value as { alias: string | null; available: boolean };
      return command.alias !== undefined ? { currentAlias: state.alias } : { currentAvailability: state.available };
    }
    case 'private':
      return { sent: true };
    default:
      return value;
  }
}

/** Broadcast-shaped envelope for server-initiated messages. */
function pushed(request: string, group: string | null, packageID: number | null, response: unknown): string {
  return JSON.stringify({ info: { action: 'broadcast', request, group, packageID }, error: false, response });
}

export function createLegacyCodec(limits: DecodeLimits): Codec<Info> {
  // The original numbered its broadcasts; clients may log or de-duplicate by it.
  let broadcastCounter = 0;
  return {
    name: 'legacy',
    // The original dropped any connection that spoke before authenticating.
    closeOnUnauthenticated: true,
    decode(text) {
      const parsed = parseUntrusted(text, limits);
      if (!parsed.ok) {
        // Echo `info` when it is itself harmless, so the client can match the error.
        const msg = parsed.parsed;
        const info = isRecord(msg) && Object.hasOwn(msg, 'info') && isRecord(msg.info) && inspect(msg.info, limits.maxDepth) === null ? msg.info : null;
        return refuse(info, 'bad_message', 'invalid message');
      }
      const msg = parsed.value;
      if (!isRecord(msg) || !isRecord(msg.info)) return refuse(null, 'bad_message', 'invalid message');
      const result = decodeInfo(msg.info, msg.data, limits);
      return 'kind' in result ? { ok: true, ref: msg.info, command: result } : result;
    },
    reply(info, command, outcome: Outcome) {
      if (outcome.ok) {
        if (command?.kind === 'broadcast') return null; // the original never acknowledged a broadcast
        const response = command ? legacyValue(command, outcome.value) : outcome.value;
        return stringifySafe({ info, error: false, response }) ?? JSON.stringify({ info, error: 'internal error', response: null });
      }
      const error = outcome.raw ? outcome.raw.error : (LEGACY_TEXT[outcome.error.code] ?? outcome.error.message);
      let response = outcome.raw ? outcome.raw.response : null;
      if (command?.kind === 'private') response = { sent: false };
      return (
        stringifySafe({ info, error: error ?? 'error', response: response ?? null }) ??
        JSON.stringify({ info, error: outcome.error.message, response: null })
      );
    },
    event(event, group, data) {
      broadcastCounter += 1;
      return pushed(event, group, broadcastCounter, data ?? null);
    },
    privateMessage(from, data) {
      return pushed('msgFromClient', null, null, { fromUUID: from.id, data: data ?? null });
    },
    presence(client) {
      broadcastCounter += 1;
      return pushed('__updateClientsState', null, broadcastCounter, legacyClient(client));
    },
  };
}
