// What a binary message's data is, per the WebSocket's binaryType (ws's
// values): the Buffer as received, an ArrayBuffer, an array of Buffers, or a
// Blob. Text messages are always delivered as Buffers.

export type BinaryType = 'nodebuffer' | 'arraybuffer' | 'fragments' | 'blob';

/**
 * 'fragments' gives one Buffer per frame that carried bytes, as ws does:
 * slices of the one buffer the frame layer assembled the message in, cut
 * where each frame ended (`frameEnds`; null for a single frame).
 */
export function convertBinary(data: Buffer, type: BinaryType, frameEnds: readonly number[] | null = null): Buffer | ArrayBuffer | Buffer[] | Blob {
  if (type === 'nodebuffer') return data;
  if (type === 'arraybuffer') {
    return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
      ? (data.buffer as ArrayBuffer)
      : (data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
  }
  // ws lists the frames that carried bytes: none for an empty message.
  if (type === 'fragments') {
    if (frameEnds === null) return data.length === 0 ? [] : [data];
    const parts: Buffer[] = [];
    let start = 0;
    for (const end of frameEnds) {
      parts.push(data.subarray(start, end));
      start = end;
    }
    return parts;
  }
  return new Blob([data as Uint8Array<ArrayBuffer>]);
}

