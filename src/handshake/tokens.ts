// Helpers for comma-separated HTTP header values (RFC 9110 §5.6.1).

/** Splits a token list, trimming whitespace and dropping empty elements. */
export function splitTokens(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const joined = Array.isArray(value) ? value.join(',') : value;
  const out: string[] = [];
  for (const part of joined.split(',')) {
    const t = part.trim();
    if (t !== '') out.push(t);
  }
  return out;
}

/**
 * True when the list contains `token`, compared case-insensitively. Checks the common single-value case without
 * splitting, since it runs on every handshake.
 */
export function hasToken(value: string | string[] | undefined, token: string): boolean {
  if (value === undefined) return false;
  if (typeof value === 'string' && value.length === token.length) return value.toLowerCase() === token.toLowerCase();
  const want = token.toLowerCase();
  return splitTokens(value).some((t) => t.toLowerCase() === want);
}

// RFC 6455 §4.1: subprotocol names are HTTP tokens (RFC 9110 §5.6.2).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function isToken(value: string): boolean {
  return TOKEN.test(value);
}
