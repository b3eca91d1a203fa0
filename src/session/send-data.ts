// What send(), ping() and pong() accept, normalized as ws 8 does it:
// strings as they are (text), numbers as their decimal text, nothing
// (undefined, null, false) as an empty binary message, bytes (Buffer,
// ArrayBuffer, views) as they are, a Buffer[] (a message received with
// binaryType 'fragments') joined, other arrays and array-likes as
// Buffer.from makes them; anything else (true, plain objects, symbols,
// bigints, functions) is a TypeError, so a forgotten JSON.stringify is
// caught instead of sent as "[object Object]". Blobs are read
// asynchronously by the WebSocket (websocket.ts).

/** What send/ping/pong take. */
export type SendData = string | Buffer | ArrayBuffer | ArrayBufferView | readonly Buffer[] | Blob | number | null | undefined | false;

const EMPTY = Buffer.alloc(0);

/** True for a Blob (or File) of this realm or another. */
export function isBlob(data: unknown): data is Blob {
  return typeof Blob !== 'undefined' && data instanceof Blob;
}

/**
 * The string or bytes to send for `data` (not a Blob). Strings stay strings
 * (the encoder writes them straight into the frame); throws ws's TypeError
 * for what cannot be sent.
 */
export function normalize(data: unknown): string | Buffer {
  if (typeof data === 'string') return data;
  if (typeof data === 'number') return String(data);
  if (data === undefined || data === null || data === false) return EMPTY;
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer || data instanceof SharedArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data) && data.length > 0 && data.every((chunk) => chunk instanceof Uint8Array)) return Buffer.concat(data as Uint8Array[]);
  // Arrays of numbers and array-likes become their bytes; Buffer.from throws
  // Node's own TypeError (the one ws's users see) for everything else.
  return Buffer.from(data as ArrayLike<number>);
}

/** Whether a message of `data` goes as text when the caller does not say: strings and numbers do. */
export function isText(data: unknown): boolean {
  return typeof data === 'string' || typeof data === 'number';
}
