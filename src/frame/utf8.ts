// UTF-8 validation (RFC 3629) for text messages and close reasons
// (RFC 6455 §5.6, §8.1). Whole buffers go through Node's native `isUtf8`.
// Fragmented messages are validated incrementally so an invalid sequence is
// reported as soon as the fragment holding it arrives (fail fast), including
// sequences split across fragment boundaries.

import { isUtf8 } from 'node:buffer';

export { isUtf8 };

/**
 * Incremental validator. State between chunks: how many continuation bytes
 * are still expected and the allowed range of the next one (this is how
 * overlongs, surrogates and code points above U+10FFFF are excluded).
 */
export class Utf8Validator {
  private need = 0;
  private lo = 0x80;
  private hi = 0xbf;

  /** Feeds `buf[start, end)`; returns false as soon as the input is invalid. */
  push(buf: Uint8Array, start = 0, end = buf.length): boolean {
    let i = start;
    // Finish a sequence left open by the previous chunk, byte by byte.
    while (this.need > 0 && i < end) {
      if (!this.step(buf[i++])) return false;
    }
    if (i >= end) return true;
    // Find where the last (possibly incomplete) sequence starts, so the middle
    // can be checked natively in one call.
    let tail = end;
    for (let back = 1; back <= 3 && end - back >= i; back++) {
      const b = buf[end - back];
      if ((b & 0xc0) !== 0x80) {
        // A lead byte (or ASCII): the sequence from here may be incomplete.
        if (b >= 0xc0) tail = end - back;
        break;
      }
    }
    if (tail > i && !isUtf8(buf.subarray(i, tail))) return false;
    for (let j = tail; j < end; j++) {
      if (!this.step(buf[j])) return false;
    }
    return true;
  }

  /** True when the input so far ends on a complete code point. */
  finish(): boolean {
    const ok = this.need === 0;
    this.reset();
    return ok;
  }

  reset(): void {
    this.need = 0;
    this.lo = 0x80;
    this.hi = 0xbf;
  }

  private step(b: number): boolean {
    if (this.need > 0) {
      if (b < this.lo || b > this.hi) return false;
      this.need--;
      this.lo = 0x80;
      this.hi = 0xbf;
      return true;
    }
    if (b < 0x80) return true;
    if (b >= 0xc2 && b <= 0xdf) {
      this.need = 1;
    } else if (b === 0xe0) {
      this.need = 2;
      this.lo = 0xa0; // no overlong 3-byte forms
    } else if ((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef) {
      this.need = 2;
    } else if (b === 0xed) {
      this.need = 2;
      this.hi = 0x9f; // no UTF-16 surrogates U+D800..U+DFFF
    } else if (b === 0xf0) {
      this.need = 3;
      this.lo = 0x90; // no overlong 4-byte forms
    } else if (b >= 0xf1 && b <= 0xf3) {
      this.need = 3;
    } else if (b === 0xf4) {
      this.need = 3;
      this.hi = 0x8f; // nothing above U+10FFFF
    } else {
      return false;
    }
    return true;
  }
}
