// Which close codes may appear in a close frame on the wire.
// RFC 6455 §7.4.1 defines 1000-1011 (1004, 1005, 1006 reserved and never sent);
// the IANA "WebSocket Close Code Number Registry" adds 1012 (Service Restart),
// 1013 (Try Again Later) and 1014 (Bad Gateway); 1015 (TLS handshake) must not
// be sent. §7.4.2: 3000-3999 are registered by libraries/frameworks,
// 4000-4999 are private use. Everything else is invalid.

export function isValidCloseCode(code: number): boolean {
  if (code >= 1000 && code <= 1014) {
    return code !== 1004 && code !== 1005 && code !== 1006;
  }
  return code >= 3000 && code <= 4999;
}
