// What a binary message's data is, per the WebSocket's binaryType (ws's
// values): the Buffer as received, an ArrayBuffer, an array of Buffers, or a
// Blob. Text messages are always delivered as Buffers.

export type BinaryType = 'nodebuffer' | 'arraybuffer' | 'fragments' | 'blob';

/**
 * 'fragments' gives the whole message as the only element (none when it is
 * empty): the frame layer
 * assembles a fragmented message in one buffer (docs/websocket.md,
 * Differences from ws).
 */
export function convertBinary(data: Buffer, type: BinaryType): Buffer | ArrayBuffer | Buffer[] | Blob {
  if (type === 'nodebuffer') return data;
  if (type === 'arraybuffer') {
    return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
      ? (data.buffer as ArrayBuffer)
      : (data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
  }
  // ws lists the frames that carried bytes: none for an empty message.
  if (type === 'fragments') return data.length === 0 ? [] : [data];
  return new Blob([data as Uint8Array<ArrayBuffer>]);
}

