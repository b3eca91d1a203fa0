// Test-side permessage-deflate (RFC 7692), independent of src/: it uses
// node:zlib's streaming API (one long-lived stream per direction, flushed
// with Z_SYNC_FLUSH per message, as the RFC describes it), where the
// library uses one-shot calls with a preset dictionary. So a mistake in the
// library's way of keeping context cannot hide itself here.
import zlib from 'node:zlib';
import { parseHead } from '../../helpers/handshake.mjs';

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** Writes `data` and flushes; resolves with what the stream produced. */
function through(stream, data) {
  return new Promise((resolve, reject) => {
    const parts = [];
    const onData = (c) => parts.push(c);
    const onError = (err) => {
      stream.removeListener('data', onData);
      reject(err);
    };
    stream.on('data', onData);
    stream.once('error', onError);
    stream.write(data);
    stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      stream.removeListener('data', onData);
      stream.removeListener('error', onError);
      resolve(Buffer.concat(parts));
    });
  });
}

/** A peer's compressor: window `bits`, a fresh stream per message when `noContext`. */
export class PeerDeflater {
  constructor(bits = 15, noContext = false) {
    this.bits = bits;
    this.noContext = noContext;
    this.stream = null;
  }

  /** One message, compressed, tail removed (§7.2.1). */
  async message(data) {
    if (this.stream === null || this.noContext) {
      this.stream?.close();
      this.stream = zlib.createDeflateRaw({ windowBits: this.bits });
    }
    const out = await through(this.stream, Buffer.from(data));
    return out.subarray(0, out.length - 4);
  }

  /** Fragments of one message: each flushed, only the last loses the tail. */
  async fragments(pieces) {
    if (this.stream === null || this.noContext) {
      this.stream?.close();
      this.stream = zlib.createDeflateRaw({ windowBits: this.bits });
    }
    const out = [];
    for (let i = 0; i < pieces.length; i++) {
      const c = await through(this.stream, Buffer.from(pieces[i]));
      out.push(i === pieces.length - 1 ? c.subarray(0, c.length - 4) : c);
    }
    return out;
  }

  close() {
    this.stream?.close();
    this.stream = null;
  }
}

/** Parameters of a Sec-WebSocket-Extensions answer as a sorted list of "name" / "name=value". */
export function paramList(header) {
  if (header === undefined) return null;
  const [name, ...params] = header.split(';').map((s) => s.trim());
  return [name, ...params.map((p) => p.replace(/\s*=\s*/, '=').replace(/"/g, '')).sort()];
}

/**
 * Checks the server's handshake answer against `expected` (a list as
 * paramList makes it, or null for no extension), then turns its frames into
 * plain ones: each compressed message inflated with a zlib stream of the
 * negotiated server window (a fresh one per message with
 * server_no_context_takeover, which proves the server kept no context), and
 * RSV1 judged (first frame of a data message only: §6, §6.1).
 */
export async function decodeServerFrames(frames, headers, expected) {
  const problems = [];
  const answer = paramList(headers['sec-websocket-extensions']);
  if (JSON.stringify(answer) !== JSON.stringify(expected)) {
    problems.push(`server answered Sec-WebSocket-Extensions ${JSON.stringify(answer)}, expected ${JSON.stringify(expected)}`);
  }
  const params = answer ?? [];
  const bitsParam = params.find((p) => p.startsWith('server_max_window_bits='));
  const bits = bitsParam ? Number(bitsParam.split('=')[1]) : 15;
  const noContext = params.includes('server_no_context_takeover');
  let inflater = null;
  const out = [];
  let open = null; // { opcode, compressed, parts }
  for (const f of frames) {
    if (f.opcode >= 8) {
      if (f.rsv & 4) problems.push(`server set RSV1 on a control frame (opcode ${f.opcode})`);
      out.push({ ...f, rsv: f.rsv & 3 });
      continue;
    }
    if (f.opcode !== 0) {
      if (f.rsv & 4 && answer === null) problems.push('server set RSV1 without the extension');
      open = { opcode: f.opcode, compressed: (f.rsv & 4) !== 0, parts: [f.payload], masked: f.masked, rsv: f.rsv & 3 };
    } else {
      if (f.rsv & 4) problems.push('server set RSV1 on a continuation frame');
      if (open === null) {
        out.push(f);
        continue;
      }
      open.parts.push(f.payload);
      open.rsv |= f.rsv & 3;
    }
    if (!f.fin) continue;
    let payload = Buffer.concat(open.parts);
    if (open.compressed) {
      if (inflater === null || noContext) {
        inflater?.close();
        inflater = zlib.createInflateRaw({ windowBits: bits });
      }
      try {
        payload = await through(inflater, Buffer.concat([payload, TAIL]));
      } catch (err) {
        problems.push(`server sent compressed data a window of ${bits} bits${noContext ? ' without context' : ''} cannot inflate: ${err.message}`);
        inflater = null;
      }
    }
    out.push({ fin: true, rsv: open.rsv, opcode: open.opcode, masked: open.masked, payload });
    open = null;
  }
  inflater?.close();
  return { frames: out, problems };
}

export { parseHead };
