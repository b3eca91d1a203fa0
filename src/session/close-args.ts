// The arguments of close(), checked where the call is made (WebSocket.close),
// so an invalid code or reason throws to its caller instead of failing the
// connection later.

import { isValidCloseCode } from '../frame/close-codes.js';
import { isUtf8 } from '../frame/utf8.js';

/**
 * Validates the arguments of close() with ws's errors and messages: a code
 * that may not be sent is a TypeError, a reason over 123 bytes a RangeError.
 * A reason that is not valid UTF-8 is refused too (a SyntaxError, as the
 * browser API throws), where ws would send it and the peer fail the
 * connection with 1007.
 */
export function checkClose(code: number | undefined, reason: string | Buffer | undefined): void {
  if (code !== undefined && (typeof code !== 'number' || !isValidCloseCode(code) || code === 1005)) {
    throw new TypeError('First argument must be a valid error code number');
  }
  if (reason !== undefined && reason !== '') {
    const bytes = typeof reason === 'string' ? Buffer.from(reason) : reason;
    if (bytes.length > 123) throw new RangeError('The message must not be greater than 123 bytes');
    if (!isUtf8(bytes)) throw new SyntaxError('Close reason must be valid UTF-8');
  }
}
