// A connection's own queue of outgoing frames, used only while its socket is
// backed up (the kernel stopped taking bytes). Frames wait here whole instead
// of piling up in the socket, which lets control frames go first: pings,
// pongs and close frames are placed ahead of the queued data, at a frame
// boundary, so liveness checks and the close handshake still work with a
// peer that reads slowly. Automatic pongs replace one another (RFC 6455
// §5.5.3: answering only the latest ping is enough), so a peer that pings a
// backed-up connection cannot grow its queue. The socket is refilled from
// here on 'drain', a bounded amount at a time.

import type { Duplex } from 'node:stream';
import { FRAME_AUTO_PONG, FRAME_CLOSE, FRAME_DATA, type FrameKind } from './connection.js';

type Callback = (err?: Error | null) => void;

interface Entry {
  bytes: Buffer;
  cb: Callback | undefined;
  /** The next entry continues this frame (a header before its payload). */
  more: boolean;
}

export class OutboundQueue {
  /** Bytes waiting here. */
  bytes = 0;
  private entries: (Entry | undefined)[] = [];
  private head = 0;
  /** Control frames at the head, in the order they were sent. */
  private controls = 0;
  private autoPong: Entry | null = null;

  get empty(): boolean {
    return this.head === this.entries.length;
  }

  push(bytes: Buffer, cb: Callback | undefined, more: boolean, kind: FrameKind): void {
    if (kind === FRAME_DATA) {
      this.entries.push({ bytes, cb, more });
      this.bytes += bytes.length;
      return;
    }
    if (kind === FRAME_AUTO_PONG && this.autoPong !== null) {
      this.bytes += bytes.length - this.autoPong.bytes.length;
      this.autoPong.bytes = bytes;
      return;
    }
    // RFC 6455 §5.5.1: nothing is sent after a close frame, so the data that
    // would have followed it is discarded; its callbacks get an error once
    // the close frame is written (after the callbacks of earlier writes).
    if (kind === FRAME_CLOSE) cb = this.dropData(cb);
    const entry: Entry = { bytes, cb, more: false };
    this.entries.splice(this.head + this.controls, 0, entry);
    this.controls++;
    this.bytes += bytes.length;
    if (kind === FRAME_AUTO_PONG) this.autoPong = entry;
  }

  /**
   * Writes queued frames into `socket` until it holds `limit` bytes (never
   * stopping inside a frame) or the queue is empty.
   */
  moveTo(socket: Duplex, limit: number): void {
    const entries = this.entries;
    while (this.head < entries.length) {
      const e = entries[this.head]!;
      entries[this.head++] = undefined;
      if (this.controls > 0) this.controls--;
      if (e === this.autoPong) this.autoPong = null;
      this.bytes -= e.bytes.length;
      if (e.cb !== undefined) socket.write(e.bytes, e.cb);
      else socket.write(e.bytes);
      if (!e.more && socket.writableLength >= limit) break;
    }
    if (this.head === entries.length) {
      this.entries = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > entries.length) {
      this.entries = entries.slice(this.head);
      this.head = 0;
    }
  }

  /** The socket is gone: every callback still waiting gets `err`, in order. */
  fail(err: Error): void {
    for (let i = this.head; i < this.entries.length; i++) {
      const cb = this.entries[i]!.cb;
      if (cb !== undefined) process.nextTick(cb, err);
    }
    this.entries = [];
    this.head = 0;
    this.controls = 0;
    this.autoPong = null;
    this.bytes = 0;
  }

  /** Removes the queued data frames; returns `cb` extended to report them as not sent. */
  private dropData(cb: Callback | undefined): Callback | undefined {
    const entries = this.entries;
    const from = this.head + this.controls;
    let dropped: Callback[] | null = null;
    for (let i = from; i < entries.length; i++) {
      const e = entries[i]!;
      this.bytes -= e.bytes.length;
      if (e.cb !== undefined) (dropped ??= []).push(e.cb);
    }
    entries.length = from;
    if (dropped === null) return cb;
    const list = dropped;
    return (err) => {
      cb?.(err);
      const notSent = new Error('Message not sent: the connection was closed before it left the queue');
      for (const f of list) f(notSent);
    };
  }
}
