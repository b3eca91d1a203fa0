// Every way a call can fail has its own class and a stable `code`, so an
// app can `switch (err.code)` or test `instanceof`. Names are set
// explicitly because minifiers rename classes.

import type { ErrorCode } from '../router/wire.js';

/** Base class of every error the client produces. */
export class ClientError extends Error {
  readonly code: string;
  constructor(code: string, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ClientError';
    this.code = code;
  }
}

/** The server answered with a structured error (docs/protocol.md lists the codes). */
export class ServerError extends ClientError {
  declare readonly code: ErrorCode;
  readonly details: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(code, message);
    this.name = 'ServerError';
    this.details = details;
  }
}

/**
 * No answer in time. `sent` is false when the call never left the client
 * (it waited in the queue for a connection the whole time), so the server
 * certainly did not act on it; true means it may have.
 */
export class RequestTimeoutError extends ClientError {
  declare readonly code: 'timeout';
  readonly sent: boolean;
  constructor(sent: boolean, ms: number) {
    super('timeout', sent ? `no answer within ${ms} ms` : `not delivered within ${ms} ms: no connection`);
    this.name = 'RequestTimeoutError';
    this.sent = sent;
  }
}

/** The call's AbortSignal fired; `cause` holds the signal's reason. */
export class RequestAbortedError extends ClientError {
  declare readonly code: 'aborted';
  constructor(reason: unknown) {
    super('aborted', 'the call was aborted', reason);
    this.name = 'RequestAbortedError';
  }
}

/**
 * The connection dropped after the call was sent and before its answer
 * arrived. The server may or may not have acted on it; it is not resent.
 */
export class ConnectionLostError extends ClientError {
  declare readonly code: 'connection_lost';
  readonly closeCode: number;
  constructor(closeCode: number, reason: string) {
    super('connection_lost', `connection lost before the answer arrived (${closeCode}${reason ? ` ${reason}` : ''})`);
    this.name = 'ConnectionLostError';
    this.closeCode = closeCode;
  }
}

/**
 * The client is closed: close() was called, the server refused the stored
 * credentials, closed with 1000 or 1008, or reconnection gave up. `cause`
 * holds the reason when there is one.
 */
export class ClientClosedError extends ClientError {
  declare readonly code: 'closed';
  constructor(message = 'the client is closed', cause?: unknown) {
    super('closed', message, cause);
    this.name = 'ClientClosedError';
  }
}

/** Too many calls are waiting for a connection; this one was refused, not queued. */
export class QueueFullError extends ClientError {
  declare readonly code: 'queue_full';
  constructor(limit: number) {
    super('queue_full', `${limit} calls are already waiting for a connection`);
    this.name = 'QueueFullError';
  }
}

/**
 * The message is larger than the server accepts (its announced
 * `maxPayload`): it was not sent, since the server would close the
 * connection with 1009.
 */
export class MessageTooLargeError extends ClientError {
  declare readonly code: 'too_large';
  readonly bytes: number;
  readonly limit: number;
  constructor(bytes: number, limit: number) {
    super('too_large', `the message is ${bytes} bytes; the server accepts at most ${limit}`);
    this.name = 'MessageTooLargeError';
    this.bytes = bytes;
    this.limit = limit;
  }
}

/** The server broke the protocol (wrong subprotocol, unreadable message). */
export class ClientProtocolError extends ClientError {
  declare readonly code: 'protocol';
  constructor(message: string) {
    super('protocol', message);
    this.name = 'ClientProtocolError';
  }
}
