// Structured errors of the application protocol: the error a handler throws
// to answer with a code, the error the server reports when application code
// fails, and the conversion of what an application passed to `respond` into
// a wire error. The codes themselves are part of the wire format (./wire.ts).

import { isErrorCode, type ErrorCode, type WireError } from './wire.js';

/**
 * Throw this from a request handler (or pass it to `respond`) to answer with a
 * chosen code and message. Any other thrown value becomes `internal_error`
 * with a generic message, so stack traces and internals never reach clients.
 */
export class RequestError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'RequestError';
    this.code = isErrorCode(code) ? code : 'request_failed';
    this.details = details;
  }
  toWire(): WireError {
    const wire: WireError = { code: this.code, message: this.message };
    if (this.details !== undefined) wire.details = this.details;
    return wire;
  }
}

/**
 * What the server emits as 'error' when application code misbehaves: which
 * hook, which session (if any), and the original value as `cause`.
 */
export class HookError extends Error {
  readonly hook: string;
  readonly sessionId: string | null;
  constructor(hook: string, cause: unknown, sessionId: string | null = null) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`${hook} failed: ${detail}`, { cause });
    this.name = 'HookError';
    this.hook = hook;
    this.sessionId = sessionId;
  }
}

/**
 * Turns whatever an application passed to `respond(error)` into a wire error.
 * Strings and Errors keep their text (the application chose to answer with
 * it); other values travel as `details` if they are plain JSON.
 */
export function toWireError(value: unknown, fallback: ErrorCode): WireError {
  if (value instanceof RequestError) return value.toWire();
  if (typeof value === 'string') return { code: fallback, message: value };
  if (value instanceof Error) return { code: fallback, message: value.message };
  return { code: fallback, message: fallback.replace('_', ' '), details: value };
}
