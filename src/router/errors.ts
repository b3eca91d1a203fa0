// Structured errors of the application protocol. The list of codes is closed:
// clients can switch on `code` exhaustively. Codes are only ever added (a
// client treats an unknown code like `internal_error`); removing or
// changing one means a new protocol version (docs/protocol.md).

/** Every error code the router can put on the wire. */
export const ERROR_CODES = [
  'bad_message', // not JSON, wrong shape or types, unsafe keys, too deep, too long
  'unknown_type', // a message type (or legacy action) the protocol does not define
  'not_authenticated', // anything but authentication before the session started
  'already_authenticated', // a second authentication, or one while another is pending
  'auth_failed', // the application rejected the credentials
  'unknown_request', // no handler registered under that request name
  'request_failed', // the handler answered with an error (or threw a RequestError)
  'forbidden', // a hook or a default rule refused the action
  'not_found', // the addressed client does not exist or is not visible
  'unavailable', // the sender is not available/visible, so it cannot message others
  'internal_error', // an application hook or handler threw; details stay on the server
  'shutting_down', // the server is closing and takes no new work
  'rate_limited', // over the connection's message rate, in-flight limit or broadcast budget; slow down
  'too_large', // one item is over a size limit (a client broadcast over clientBroadcasts.maxSize)
  'alias_taken', // the alias is held by another live session
  'limit_reached', // a count limit is reached (groups per session, groups on the server)
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The error object that travels on the wire. */
export interface WireError {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

const CODE_SET: ReadonlySet<string> = new Set(ERROR_CODES);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && CODE_SET.has(value);
}

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
