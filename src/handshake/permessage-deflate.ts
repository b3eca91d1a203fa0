// Negotiation of permessage-deflate (RFC 7692): the `perMessageDeflate`
// option checked once, the server's choice among the client's offers, the
// client's offer and its check of the server's answer. Sans-I/O: header
// values in, negotiated parameters (or a reason) out. Compression itself is
// in src/frame/deflate.ts.

import { formatExtension, parseExtensions, type ExtensionElement, type ExtensionParam } from './extensions.js';

export const EXTENSION_NAME = 'permessage-deflate';

/** The `perMessageDeflate` option: the names and meanings of ws's. */
export interface PerMessageDeflateOptions {
  /** Server: always answer with server_no_context_takeover. Client: ask for it. */
  serverNoContextTakeover?: boolean;
  /** Server: always answer with client_no_context_takeover. Client: offer it. */
  clientNoContextTakeover?: boolean;
  /** Server: largest window of its compressor (8..15). Client: ask the server for at most this. */
  serverMaxWindowBits?: number | boolean;
  /** Server: largest window allowed to the client (8..15). Client: offer the parameter (true: without a value). */
  clientMaxWindowBits?: number | boolean;
  zlibDeflateOptions?: { level?: number; memLevel?: number; chunkSize?: number; strategy?: number; windowBits?: number };
  zlibInflateOptions?: { chunkSize?: number; windowBits?: number };
  /** Payloads smaller than this (bytes) are sent uncompressed. Default 1024. */
  threshold?: number;
  /** Accepted as in ws. All zlib work here is synchronous (see docs/websocket.md), so nothing waits on it. */
  concurrencyLimit?: number;
}

/** The option, checked, with every default filled in. */
export interface DeflateSettings {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  /** null: no preference (15). */
  readonly serverMaxWindowBits: number | null;
  /** A number: that limit; true: offer/accept the parameter without a value; false: never offer it. */
  readonly clientMaxWindowBits: number | boolean;
  readonly level: number;
  readonly memLevel: number;
  readonly strategy: number;
  readonly threshold: number;
  readonly concurrencyLimit: number;
  /** zlibInflateOptions.chunkSize (zlib's default when undefined). */
  readonly inflateChunkSize: number | undefined;
}

/** What a handshake agreed on, with absent window sizes as 15 (RFC 7692 §7.1.2). */
export interface DeflateParams {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number;
  readonly clientMaxWindowBits: number;
  /** The Sec-WebSocket-Extensions value of the server's answer. */
  readonly header: string;
}

function fail(what: string, rule: string, got: unknown): never {
  const shown = typeof got === 'string' ? JSON.stringify(got) : String(got);
  throw new RangeError(`perMessageDeflate.${what} must be ${rule}, got ${shown}`);
}

function int(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) fail(what, `an integer from ${min} to ${max}`, value);
  return value;
}

function bool(value: unknown, what: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(what, 'a boolean', value);
  return value;
}

/**
 * Checks the option once, when the server or client is created. `false`
 * or undefined: off (null). `true` or an object: on, with defaults per role.
 * The server's defaults keep no compression context per connection in
 * either direction (each side then keeps none between messages); the
 * client's are ws's client's (it offers `client_max_window_bits` and asks
 * nothing of the server), so it negotiates what ws's client does.
 */
export function deflateSettings(option: unknown, role: 'server' | 'client'): DeflateSettings | null {
  if (option === undefined || option === null || option === false) return null;
  if (option !== true && typeof option !== 'object') throw new TypeError(`perMessageDeflate must be a boolean or an object, got ${typeof option}`);
  const o = (option === true ? {} : option) as PerMessageDeflateOptions;
  const server = role === 'server';
  let serverBits: number | null = null;
  if (typeof o.serverMaxWindowBits === 'number') serverBits = int(o.serverMaxWindowBits, 'serverMaxWindowBits', 8, 15);
  else if (o.serverMaxWindowBits !== undefined && typeof o.serverMaxWindowBits !== 'boolean') fail('serverMaxWindowBits', 'an integer from 8 to 15', o.serverMaxWindowBits);
  let clientBits: number | boolean = server ? false : true;
  if (typeof o.clientMaxWindowBits === 'number') clientBits = int(o.clientMaxWindowBits, 'clientMaxWindowBits', 8, 15);
  else if (typeof o.clientMaxWindowBits === 'boolean') clientBits = o.clientMaxWindowBits;
  else if (o.clientMaxWindowBits !== undefined) fail('clientMaxWindowBits', 'an integer from 8 to 15 or a boolean', o.clientMaxWindowBits);
  const z = o.zlibDeflateOptions ?? {};
  if (typeof z !== 'object') fail('zlibDeflateOptions', 'an object', z);
  const zi = o.zlibInflateOptions ?? {};
  if (typeof zi !== 'object') fail('zlibInflateOptions', 'an object', zi);
  if (z.chunkSize !== undefined) int(z.chunkSize, 'zlibDeflateOptions.chunkSize', 64, 2 ** 30);
  if (zi.chunkSize !== undefined) int(zi.chunkSize, 'zlibInflateOptions.chunkSize', 64, 2 ** 30);
  return {
    serverNoContextTakeover: bool(o.serverNoContextTakeover, 'serverNoContextTakeover', server),
    clientNoContextTakeover: bool(o.clientNoContextTakeover, 'clientNoContextTakeover', server),
    serverMaxWindowBits: serverBits,
    clientMaxWindowBits: clientBits,
    level: z.level === undefined ? -1 : int(z.level, 'zlibDeflateOptions.level', -1, 9),
    memLevel: z.memLevel === undefined ? 8 : int(z.memLevel, 'zlibDeflateOptions.memLevel', 1, 9),
    strategy: z.strategy === undefined ? 0 : int(z.strategy, 'zlibDeflateOptions.strategy', 0, 4),
    threshold: o.threshold === undefined ? 1024 : int(o.threshold, 'threshold', 0, Number.MAX_SAFE_INTEGER),
    concurrencyLimit: o.concurrencyLimit === undefined ? 10 : int(o.concurrencyLimit, 'concurrencyLimit', 1, Number.MAX_SAFE_INTEGER),
    inflateChunkSize: zi.chunkSize,
  };
}

/** Window bits as RFC 7692 §7.1.2 writes them: 1*DIGIT, no leading zero, 8..15. */
function windowBits(value: string | true): number | null {
  if (value === true || !/^[1-9][0-9]?$/.test(value)) return null;
  const n = Number(value);
  return n >= 8 && n <= 15 ? n : null;
}

interface Offer {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  /** null: absent. */
  serverMaxWindowBits: number | null;
  /** null: absent; true: present without a value. */
  clientMaxWindowBits: number | true | null;
}

/**
 * Reads the parameters of one offer (or answer). Null when one is unknown,
 * repeated or has an invalid value (RFC 7692 §5: such an offer is declined,
 * such an answer fails the connection). `answer`: client_max_window_bits
 * must then carry a value (§7.1.2.2).
 */
function readParams(params: readonly ExtensionParam[], answer: boolean): Offer | null {
  const seen = new Set<string>();
  const o: Offer = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: null, clientMaxWindowBits: null };
  for (const [name, value] of params) {
    if (seen.has(name)) return null;
    seen.add(name);
    if (name === 'server_no_context_takeover' || name === 'client_no_context_takeover') {
      if (value !== true) return null;
      if (name === 'server_no_context_takeover') o.serverNoContextTakeover = true;
      else o.clientNoContextTakeover = true;
    } else if (name === 'server_max_window_bits') {
      const bits = windowBits(value);
      if (bits === null) return null;
      o.serverMaxWindowBits = bits;
    } else if (name === 'client_max_window_bits') {
      if (value === true && !answer) {
        o.clientMaxWindowBits = true;
        continue;
      }
      const bits = windowBits(value);
      if (bits === null) return null;
      o.clientMaxWindowBits = bits;
    } else {
      return null;
    }
  }
  return o;
}

function params(p: Omit<DeflateParams, 'header'>, sendClientBits: boolean, sendServerBits: boolean): DeflateParams {
  const list: ExtensionParam[] = [];
  if (p.serverNoContextTakeover) list.push(['server_no_context_takeover', true]);
  if (p.clientNoContextTakeover) list.push(['client_no_context_takeover', true]);
  if (sendServerBits) list.push(['server_max_window_bits', String(p.serverMaxWindowBits)]);
  if (sendClientBits) list.push(['client_max_window_bits', String(p.clientMaxWindowBits)]);
  return { ...p, header: formatExtension({ name: EXTENSION_NAME, params: list }) };
}

/**
 * Server side: the first acceptable permessage-deflate offer of the
 * client's header, in the client's order, or null (no compression). An
 * offer with an unknown, repeated or malformed parameter is declined, and
 * the next one tried (RFC 7692 §5); so is a header that does not parse.
 * What the client asks is granted (no context takeover, a smaller window:
 * the server can always comply); the settings add their own limits.
 */
export function acceptOffers(header: string | readonly string[] | undefined, s: DeflateSettings): DeflateParams | null {
  const list = parseExtensions(header);
  if (list === null) return null;
  for (const element of list) {
    if (element.name !== EXTENSION_NAME) continue;
    const o = readParams(element.params, false);
    if (o === null) continue;
    // §7.1.2.1: our compressor's window, at most what the client allows.
    const ours = s.serverMaxWindowBits ?? 15;
    const serverBits = o.serverMaxWindowBits === null ? ours : Math.min(ours, o.serverMaxWindowBits);
    // §7.1.2.2: a limit on the client's window only where it offered the parameter.
    let clientBits = 15;
    let sendClientBits = false;
    if (o.clientMaxWindowBits !== null && typeof s.clientMaxWindowBits === 'number') {
      clientBits = o.clientMaxWindowBits === true ? s.clientMaxWindowBits : Math.min(o.clientMaxWindowBits, s.clientMaxWindowBits);
      sendClientBits = true;
    } else if (typeof o.clientMaxWindowBits === 'number') {
      // The client announced it compresses with at most this window: an
      // inflater of that size suffices, and saying so binds it.
      clientBits = o.clientMaxWindowBits;
      sendClientBits = true;
    }
    return params(
      {
        serverNoContextTakeover: s.serverNoContextTakeover || o.serverNoContextTakeover,
        clientNoContextTakeover: s.clientNoContextTakeover || o.clientNoContextTakeover,
        serverMaxWindowBits: serverBits,
        clientMaxWindowBits: clientBits,
      },
      sendClientBits,
      serverBits !== 15 || o.serverMaxWindowBits !== null,
    );
  }
  return null;
}

/** Client side: the offer to send (one permessage-deflate element). */
export function deflateOffer(s: DeflateSettings): string {
  const list: ExtensionParam[] = [];
  if (s.serverNoContextTakeover) list.push(['server_no_context_takeover', true]);
  if (s.clientNoContextTakeover) list.push(['client_no_context_takeover', true]);
  if (s.serverMaxWindowBits !== null) list.push(['server_max_window_bits', String(s.serverMaxWindowBits)]);
  if (typeof s.clientMaxWindowBits === 'number') list.push(['client_max_window_bits', String(s.clientMaxWindowBits)]);
  else if (s.clientMaxWindowBits === true) list.push(['client_max_window_bits', true]);
  return formatExtension({ name: EXTENSION_NAME, params: list });
}

/** ws's message for every answer that does not fit the offer, kept so code matching on it works. */
const INVALID = 'Invalid Sec-WebSocket-Extensions header';

/**
 * Client side: checks the server's Sec-WebSocket-Extensions against our
 * offer. Null: no extension (the server declined). A string: why the
 * connection must fail (RFC 6455 §4.1 step 5, RFC 7692 §5 and §7.1).
 */
export function acceptResponse(header: string | readonly string[] | undefined, s: DeflateSettings | null): DeflateParams | null | string {
  if (header === undefined) return null;
  if (s === null) return 'Server sent a Sec-WebSocket-Extensions header but no extension was requested';
  const list = parseExtensions(header);
  if (list === null) return INVALID;
  if (list.length === 0) return null;
  const element: ExtensionElement = list[0];
  if (list.length > 1 || element.name !== EXTENSION_NAME) return 'Server indicated an extension that was not requested';
  const o = readParams(element.params, true);
  if (o === null) return INVALID;
  // §7.1.2.1: at most the window we asked for.
  if (s.serverMaxWindowBits !== null && o.serverMaxWindowBits !== null && o.serverMaxWindowBits > s.serverMaxWindowBits) {
    return INVALID;
  }
  // §7.1.2.2: only if offered, and not above the value offered.
  if (o.clientMaxWindowBits !== null) {
    if (s.clientMaxWindowBits === false) return INVALID;
    if (typeof s.clientMaxWindowBits === 'number' && (o.clientMaxWindowBits as number) > s.clientMaxWindowBits) {
      return INVALID;
    }
  }
  const clientBits = typeof o.clientMaxWindowBits === 'number' ? o.clientMaxWindowBits : typeof s.clientMaxWindowBits === 'number' ? s.clientMaxWindowBits : 15;
  return {
    serverNoContextTakeover: o.serverNoContextTakeover,
    clientNoContextTakeover: o.clientNoContextTakeover || s.clientNoContextTakeover,
    serverMaxWindowBits: o.serverMaxWindowBits ?? 15,
    clientMaxWindowBits: clientBits,
    header: formatExtension(element),
  };
}
