// RFC 6455 §5.3 masking: payload[i] ^= key[i % 4]. XOR is its own inverse, so
// one in-place routine masks and unmasks. The bulk is done a 32-bit word at a
// time through a Uint32Array view once the position is 4-byte aligned.

import { randomFillSync } from 'node:crypto';

const WORD_THRESHOLD = 32;

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
    // Build the 32-bit key word in the platform's byte order by writing the
    // rotated key bytes through a byte view of the same memory.
    KEY_BYTES[0] = key[phase];
    KEY_BYTES[1] = key[(phase + 1) & 3];
    KEY_BYTES[2] = key[(phase + 2) & 3];
    KEY_BYTES[3] = key[(phase + 3) & 3];
    const k = KEY_WORD[0];
    const view = new Uint32Array(buf.buffer, buf.byteOffset + i, words);
    for (let w = 0; w < words; w++) view[w] ^= k;
    i += words << 2;
  }
  for (; i < end; i++) buf[i] ^= key[(i - start) & 3];
}

const KEY_WORD = new Uint32Array(1);
const KEY_BYTES = new Uint8Array(KEY_WORD.buffer);

// Mask keys must be unpredictable (RFC 6455 §5.3, §10.3). Drawing 4 bytes from
// the CSPRNG per frame is a syscall-sized cost, so keys come from a pool
// refilled 8 KiB at a time.
const POOL_SIZE = 8192;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;

/** Writes a fresh 4-byte mask key into `target` at `offset`. */
export function writeMaskKey(target: Uint8Array, offset: number): void {
  if (poolOffset === POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  target[offset] = pool[poolOffset];
  target[offset + 1] = pool[poolOffset + 1];
  target[offset + 2] = pool[poolOffset + 2];
  target[offset + 3] = pool[poolOffset + 3];
  poolOffset += 4;
}
