// The parser's input: the chunks pushed and not yet consumed, read across
// chunk boundaries without joining them. A frame that lies within one chunk
// is taken as a slice of it (no copy).

const EMPTY = Buffer.alloc(0);

export class ByteQueue {
  /** Queued chunks; the first is read from `offset`. */
  chunks: Buffer[] = [];
  offset = 0;
  /** Bytes queued and not consumed. */
  length = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Forgets everything queued. */
  clear(): void {
    this.chunks = [];
    this.offset = 0;
    this.length = 0;
  }

  /**
   * Moves the few bytes left over after the last complete frame (a partial
   * header or control frame: under 140 bytes) into a buffer of their own, so
   * the input queue never keeps a large socket chunk alive, nor a list of
   * tiny ones.
   */
  spill(): void {
    if (this.chunks.length === 1 && this.offset === 0 && this.chunks[0].length <= 256) return;
    const out = Buffer.allocUnsafeSlow(this.length);
    this.copyOut(out, 0, this.length);
    this.chunks = [out];
    this.offset = 0;
    this.length = out.length;
  }

  byteAt(index: number): number {
    let i = this.offset + index;
    const first = this.chunks[0];
    if (i < first.length) return first[i];
    i -= first.length;
    for (let k = 1; k < this.chunks.length; k++) {
      const c = this.chunks[k];
      if (i < c.length) return c[i];
      i -= c.length;
    }
    return 0;
  }

  /** Takes `n` bytes off the queue: a slice when possible, a copy otherwise. */
  take(n: number): Buffer {
    if (n === 0) return EMPTY;
    const first = this.chunks[0];
    const left = first.length - this.offset;
    if (n < left) {
      const out = first.subarray(this.offset, this.offset + n);
      this.offset += n;
      this.length -= n;
      return out;
    }
    if (n === left) {
      const out = this.offset === 0 ? first : first.subarray(this.offset);
      this.chunks.shift();
      this.offset = 0;
      this.length -= n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    this.copyOut(out, 0, n);
    return out;
  }

  /** Moves `n` queued bytes into `out` at `pos`, consuming them. */
  copyOut(out: Buffer, pos: number, n: number): void {
    this.length -= n;
    const end = pos + n;
    while (pos < end) {
      const c = this.chunks[0];
      const avail = c.length - this.offset;
      const want = end - pos;
      if (avail <= want) {
        c.copy(out, pos, this.offset);
        pos += avail;
        this.chunks.shift();
        this.offset = 0;
      } else {
        c.copy(out, pos, this.offset, this.offset + want);
        this.offset += want;
        pos += want;
      }
    }
  }

  skip(n: number): void {
    this.length -= n;
    while (n > 0) {
      const avail = this.chunks[0].length - this.offset;
      if (avail <= n) {
        n -= avail;
        this.chunks.shift();
        this.offset = 0;
      } else {
        this.offset += n;
        n = 0;
      }
    }
  }
}
