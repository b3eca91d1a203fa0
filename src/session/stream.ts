// createWebSocketStream(ws, options): a node:stream Duplex over a WebSocket,
// with the semantics of ws 8's function of the same name, so that
// `pipeline(source, createWebSocketStream(ws), sink)` works the same on
// either package.
//
// - Readable side: each message is one chunk, its data as received (a Buffer
//   with the default binaryType). With `readableObjectMode`, text messages
//   are pushed as strings. When push() reports a full buffer the WebSocket is
//   paused (the socket stops being read, so TCP flow control reaches the
//   peer) until the stream asks for more.
// - Writable side: each chunk is one message (Buffers, so binary), sent with
//   a callback: the stream holds further chunks until the previous ones were
//   handed to the kernel. Chunks written while CONNECTING wait for 'open'.
//   `objectMode` and `writableObjectMode` are forced off, as in ws.
// - end() closes the WebSocket (close handshake); the socket's close ends
//   the readable side; destroy() terminates the WebSocket, and the stream's
//   'close' follows the WebSocket's. An 'error' on the WebSocket destroys the
//   stream with that error.

import { Duplex, type DuplexOptions } from 'node:stream';
import { CLOSED, CONNECTING } from './connection.js';
import type { WebSocket } from './client.js';
import type { WebSocketBase } from './websocket.js';

type Callback = (err?: Error | null) => void;

/**
 * Wraps `ws` in a Duplex stream. `options` go to the Duplex constructor
 * (`highWaterMark`, `readableObjectMode`, `encoding`, `allowHalfOpen`...),
 * except `objectMode` and `writableObjectMode`, which are always off.
 */
export function createWebSocketStream(ws: WebSocket, options?: DuplexOptions): Duplex {
  return new WebSocketDuplex(ws, options);
}

class WebSocketDuplex extends Duplex {
  private readonly _ws: WebSocketBase;
  /**
   * The error the WebSocket reported, when it did: the stream is destroyed
   * with it, and destroy() need not terminate a WebSocket that failed.
   */
  _wsError: Error | null = null;

  constructor(ws: WebSocketBase, options?: DuplexOptions) {
    // Destruction is driven here rather than by Node (autoDestroy): an error
    // of the stream itself (a write after end, a refused send) is emitted
    // first and then tears the WebSocket down, and the stream's 'close'
    // comes only once the WebSocket's has (see _destroy).
    super({ ...options, objectMode: false, writableObjectMode: false, autoDestroy: false, emitClose: false });
    this.once('error', onStreamError);
    this.on('end', onStreamEnd);
    this._ws = ws;
    ws.on('message', (data: unknown, isBinary: boolean) => {
      const chunk = !isBinary && this.readableObjectMode ? String(data) : data;
      if (!this.push(chunk)) ws.pause();
    });
    // `on`, not `once`: a later error on the WebSocket must find a listener.
    ws.on('error', (err: Error) => {
      if (this.destroyed) return;
      this._wsError = err;
      this.destroy(err);
    });
    ws.once('close', () => {
      if (!this.destroyed) this.push(null);
    });
  }

  override _read(): void {
    if (this._ws.isPaused) this._ws.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: Callback): void {
    const ws = this._ws;
    if (ws.readyState === CONNECTING) {
      ws.once('open', () => this._write(chunk, _encoding, cb));
      return;
    }
    ws.send(chunk, cb);
  }

  override _final(cb: Callback): void {
    const ws = this._ws;
    if (ws.readyState === CONNECTING) {
      ws.once('open', () => this._final(cb));
      return;
    }
    const socket = ws._socket;
    if (ws.readyState === CLOSED || socket === null || socket.writableFinished) {
      this._finished(cb);
      return;
    }
    // Finished once our side of the TCP connection is ended, which follows
    // the close handshake (or the connection's end, whichever comes first).
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      socket.removeListener('finish', finish);
      ws.removeListener('close', finish);
      this._finished(cb);
    };
    socket.once('finish', finish);
    ws.once('close', finish);
    ws.close();
  }

  /** The writable side is done; with the readable side ended too, the stream is over. */
  private _finished(cb: Callback): void {
    cb();
    if (this.readableEnded && !this.destroyed) this.destroy();
  }

  override _destroy(err: Error | null, cb: Callback): void {
    const ws = this._ws;
    if (ws.readyState === CLOSED) {
      cb(err);
      process.nextTick(emitClose, this);
      return;
    }
    // The stream is closed once the WebSocket is. Terminating it while
    // CONNECTING makes it emit an error of its own, which is the one reported
    // when the stream was destroyed without one.
    let wsError: Error | null = null;
    const onError = (e: Error): void => {
      wsError ??= e;
    };
    ws.on('error', onError);
    ws.once('close', () => {
      ws.removeListener('error', onError);
      if (err === null && wsError !== null) this._wsError = wsError;
      cb(err ?? wsError);
      process.nextTick(emitClose, this);
    });
    if (this._wsError === null) ws.terminate();
  }
}

function emitClose(stream: Duplex): void {
  stream.emit('close');
}

/** Both sides are done: the stream is over. */
function onStreamEnd(this: Duplex): void {
  if (!this.destroyed && this.writableFinished) this.destroy();
}

/**
 * The stream's first error destroys it (and so closes the WebSocket). An
 * error of the stream itself (a write after end, a refused send) is not
 * swallowed: with no other 'error' listener it is thrown, as an unhandled
 * 'error' event would be. An error of the WebSocket (a peer's malformed
 * frame, a failed handshake) is not thrown: as with the WebSocket itself,
 * input from the network never crashes the process. The stream is destroyed
 * either way, with the error in `stream.errored`.
 */
function onStreamError(this: WebSocketDuplex, err: Error): void {
  this.destroy();
  if (this.listenerCount('error') === 0 && err !== this._wsError) throw err;
}
