// permessage-deflate for one connection, from what its handshake agreed on
// (src/handshake/permessage-deflate.ts), and the fan-out fast path: one
// message compressed once for every connection that can take it.
//
// A message compressed alone, with a fresh context, is valid for any peer
// that expects no context takeover from us (server_no_context_takeover)
// and allows our window size. Such connections get a SharedDeflate: an
// interned object (equal settings, same object), so a broadcast groups its
// recipients by it and builds one frame per group.

import { Opcode } from '../frame/constants.js';
import { MessageDeflater, MessageInflater, deflateMessage } from '../frame/deflate.js';
import { encodeWith, toBuffer } from '../frame/encoder.js';
import type { MaskKeys } from '../frame/mask.js';
import type { DeflateParams, DeflateSettings } from '../handshake/permessage-deflate.js';

/** Negotiated parameters that let one compressed frame serve many connections (interned: equal params -> same object). */
export interface SharedDeflate {
  /** Window bits, and the zlib settings when not the defaults; informative. */
  readonly key: string;
  /** Payloads (bytes) below this go uncompressed. */
  readonly threshold: number;
}

interface SharedSettings extends SharedDeflate {
  readonly windowBits: number;
  readonly level: number;
  readonly memLevel: number;
  readonly strategy: number;
}

const interned = new Map<string, SharedSettings>();

function shared(windowBits: number, s: DeflateSettings): SharedSettings {
  const zlib = s.level === -1 && s.memLevel === 8 && s.strategy === 0 ? '' : `/l${s.level}m${s.memLevel}s${s.strategy}`;
  const key = `${windowBits}${zlib}${s.threshold === 1024 ? '' : `/t${s.threshold}`}`;
  let params = interned.get(key);
  if (params === undefined) {
    params = Object.freeze({ key, threshold: s.threshold, windowBits, level: s.level, memLevel: s.memLevel, strategy: s.strategy });
    interned.set(key, params);
  }
  return params;
}

/**
 * Builds one complete unmasked FIN frame with RSV1 set, payload =
 * raw-deflate(data) with the 00 00 ff ff tail removed (RFC 7692 §7.2.1),
 * compressed synchronously once. Written with ws.sendPrepared(frame) to
 * every connection whose ws.sharedDeflate === params.
 */
export function prepareDeflatedFrame(data: string | Buffer, binary: boolean, params: SharedDeflate): Buffer {
  const p = interned.get(params.key);
  if (p === undefined || p !== params) throw new TypeError('prepareDeflatedFrame: params must be a ws.sharedDeflate value');
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const payload = deflateMessage(bytes, p.windowBits, p.level, p.memLevel, p.strategy);
  return encodeWith(binary ? Opcode.Binary : Opcode.Text, payload, true, true, false, null);
}

/** Frames larger than this are not kept by the one-entry cache below. */
const CACHE_MAX = 64 * 1024;

/**
 * The last string compressed alone, with its frame: the idiomatic
 * broadcast loop (`for (const c of clients) c.send(text)`) then compresses
 * once for all connections sharing the same settings.
 */
let lastString: string | null = null;
let lastBinary = false;
let lastParams: SharedDeflate | null = null;
let lastFrame: Buffer | null = null;

/** prepareDeflatedFrame of a string, remembered for the next call with the same arguments. */
export function sharedDeflatedFrame(data: string, binary: boolean, params: SharedDeflate): Buffer {
  if (data === lastString && binary === lastBinary && params === lastParams) return lastFrame!;
  const frame = prepareDeflatedFrame(data, binary, params);
  if (frame.length <= CACHE_MAX) {
    lastString = data;
    lastBinary = binary;
    lastParams = params;
    lastFrame = frame;
  }
  return frame;
}

/** What a Connection needs of permessage-deflate (see Connection.enableDeflate). */
export interface DeflateCodec {
  readonly inflater: MessageInflater;
  readonly deflater: MessageDeflater;
  readonly threshold: number;
  /** Server role with server_no_context_takeover: whole messages may be compressed once for many connections. */
  readonly shared: SharedDeflate | null;
}

/**
 * The codec of one connection. Our side compresses with our window and
 * context rule, the peer's are what we inflate with: the server's params
 * for the server's sending side, the client's for the client's.
 */
export function createCodec(params: DeflateParams, s: DeflateSettings, role: 'server' | 'client', maxPayload: number): DeflateCodec {
  const server = role === 'server';
  const ourBits = server ? params.serverMaxWindowBits : params.clientMaxWindowBits;
  const ourNoContext = server ? params.serverNoContextTakeover : params.clientNoContextTakeover;
  const peerBits = server ? params.clientMaxWindowBits : params.serverMaxWindowBits;
  const peerNoContext = server ? params.clientNoContextTakeover : params.serverNoContextTakeover;
  const sharing = server && ourNoContext ? shared(ourBits, s) : null;
  return {
    inflater: new MessageInflater({ windowBits: peerBits, noContextTakeover: peerNoContext, maxPayload, chunkSize: s.inflateChunkSize }),
    deflater: new MessageDeflater({ windowBits: ourBits, noContextTakeover: ourNoContext, level: s.level, memLevel: s.memLevel, strategy: s.strategy }),
    threshold: s.threshold,
    shared: sharing,
  };
}

/** Whether `data` is at least `n` bytes long, without encoding a string that is clearly shorter or longer. */
export function atLeast(data: string | Buffer | ArrayBuffer | ArrayBufferView | readonly Buffer[], n: number): boolean {
  if (typeof data === 'string') {
    if (data.length >= n) return true;
    return data.length * 3 >= n && Buffer.byteLength(data) >= n;
  }
  if (Array.isArray(data)) {
    let total = 0;
    for (const b of data as readonly Buffer[]) total += b.length;
    return total >= n;
  }
  return (data as ArrayBufferView | ArrayBuffer).byteLength >= n;
}

/**
 * One compressed frame of a message (`first`: RSV1 set, RFC 7692 §6.1).
 * `keys`: the client's mask keys (null on the server: unmasked). A whole
 * string message on a connection with a SharedDeflate comes from the
 * shared cache: compressed once for all such connections.
 */
export function compressedFrame(codec: DeflateCodec, data: string | Buffer | ArrayBuffer | ArrayBufferView | readonly Buffer[], isBinary: boolean, first: boolean, fin: boolean, keys: MaskKeys | null): Buffer {
  if (first && fin && codec.shared !== null && typeof data === 'string') return sharedDeflatedFrame(data, isBinary, codec.shared);
  const opcode = first ? (isBinary ? Opcode.Binary : Opcode.Text) : Opcode.Continuation;
  return encodeWith(opcode, codec.deflater.compress(toBuffer(data), fin), fin, first, keys !== null, keys);
}
