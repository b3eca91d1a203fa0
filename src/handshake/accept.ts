// RFC 6455 §4.2.2: Sec-WebSocket-Accept = base64(SHA-1(key + GUID)).

import { createHash, randomBytes } from 'node:crypto';
import { WS_GUID } from '../frame/constants.js';

export function computeAccept(key: string): string {
  return createHash('sha1').update(key + WS_GUID).digest('base64');
}

/** A fresh Sec-WebSocket-Key: 16 random bytes, base64 (RFC 6455 §4.1). */
export function generateKey(): string {
  return randomBytes(16).toString('base64');
}

const KEY_PATTERN = /^[A-Za-z0-9+/]{22}==$/;

/** True when `key` is base64 that decodes to exactly 16 bytes. */
export function isValidKey(key: string | undefined): key is string {
  return typeof key === 'string' && KEY_PATTERN.test(key);
}
