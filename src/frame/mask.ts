// RFC 6455 §5.3 masking: payload[i] ^= key[i % 4]. XOR is its own inverse, so
// one in-place routine masks and unmasks. The bulk is done a 32-bit word at a
// time through a Uint32Array view once the position is 4-byte aligned.
//
// No module-wide mutable state: the key word is built in a local, and the
// pool of mask keys belongs to whoever masks (one per client connection).

import { randomFillSync } from 'node:crypto';

const WORD_THRESHOLD = 32;

/** The platform's byte order, which the Uint32Array view of the payload uses. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** XOR `buf[start, end)` in place with `key`, where `buf[start]` pairs with `key[0]`. */
export function applyMask(buf: Uint8Array, key: Uint8Array, start = 0, end = buf.length): void {
  let i = start;
  if (end - start >= WORD_THRESHOLD) {
    // Bytes until the absolute address is 4-byte aligned.
    const misalign = (buf.byteOffset + i) & 3;
    const head = misalign === 0 ? 0 : 4 - misalign;
    for (let h = 0; h < head; h++, i++) buf[i] ^= key[(i - start) & 3];
    const words = (end - i) >>> 2;
    const phase = (i - start) & 3;
    // The key rotated to this phase, as the 32-bit word whose bytes in
    // memory (platform order) are the key bytes in sequence.
    const b0 = key[phase], b1 = key[(phase + 1) & 3], b2 = key[(phase + 2) & 3], b3 = key[(phase + 3) & 3];
    const k = LITTLE_ENDIAN ? b0 | (b1 << 8) | (b2 << 16) | (b3 << 24) : (b0 << 24) | (b1 << 16) | (b2 << 8) | b3;
    const view = new Uint32Array(buf.buffer, buf.byteOffset + i, words);
    for (let w = 0; w < words; w++) view[w] ^= k;
    i += words << 2;
  }
  for (; i < end; i++) buf[i] ^= key[(i - start) & 3];
}

/** Mask keys drawn from the CSPRNG at once by a MaskKeys pool. */
const POOL_SIZE = 512;

/**
 * Mask keys must be unpredictable (RFC 6455 §5.3, §10.3). Drawing 4 bytes
 * from the CSPRNG per frame costs a native call each, so a client
 * connection keeps a small pool of its own, refilled 128 keys at a time.
 */
export class MaskKeys {
  #pool: Buffer | null = null;
  #offset = POOL_SIZE;
  readonly #generate: ((mask: Buffer) => void) | null;

  /** `generate`: fills each 4-byte key instead of the CSPRNG (ws's `generateMask`). */
  constructor(generate?: (mask: Buffer) => void) {
    this.#generate = generate ?? null;
  }

  /** Writes a fresh 4-byte mask key into `target` at `offset`. */
  write(target: Uint8Array, offset: number): void {
    if (this.#generate !== null) {
      const key = Buffer.alloc(4);
      this.#generate(key);
      target.set(key, offset);
      return;
    }
    let pool = this.#pool;
    if (pool === null || this.#offset === POOL_SIZE) {
      pool ??= this.#pool = Buffer.allocUnsafe(POOL_SIZE);
      randomFillSync(pool);
      this.#offset = 0;
    }
    const o = this.#offset;
    target[offset] = pool[o];
    target[offset + 1] = pool[o + 1];
    target[offset + 2] = pool[o + 2];
    target[offset + 3] = pool[o + 3];
    this.#offset = o + 4;
  }
}

/** Writes a fresh 4-byte mask key into `target` at `offset`, straight from the CSPRNG. */
export function writeMaskKey(target: Uint8Array, offset: number): void {
  randomFillSync(target, offset, 4);
}
