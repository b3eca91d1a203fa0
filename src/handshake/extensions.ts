// The Sec-WebSocket-Extensions header (RFC 6455 §9.1): a comma-separated
// list of extensions, each a token followed by `;`-separated parameters,
// each parameter a token with an optional value (a token or a quoted-string):
//
//   extension-list = 1#extension
//   extension      = extension-token *( ";" extension-param )
//   extension-param = token [ "=" (token | quoted-string) ]
//
// A quoted value, once unescaped, must itself be a token (§9.1). Optional
// whitespace is allowed around the separators. Names are compared in lower
// case. Several elements with the same name are several offers, kept in the
// order given: the order of preference (RFC 7692 §5).

import { isToken } from './tokens.js';

/** A parameter: its name (lower case) and its value, or true when it has none. */
export type ExtensionParam = readonly [name: string, value: string | true];

/** One element of the list: an extension name (lower case) and its parameters in order. */
export interface ExtensionElement {
  readonly name: string;
  readonly params: readonly ExtensionParam[];
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

function isWhite(c: string | undefined): boolean {
  return c === ' ' || c === '\t';
}

/**
 * Parses a Sec-WebSocket-Extensions value (or several header lines). Null
 * when it does not follow the grammar; empty list elements (`a, , b`) are
 * skipped, as RFC 9110 §5.6.1 asks of recipients.
 */
export function parseExtensions(value: string | readonly string[] | undefined): ExtensionElement[] | null {
  if (value === undefined) return [];
  const s = typeof value === 'string' ? value : value.join(',');
  const out: ExtensionElement[] = [];
  let i = 0;
  const n = s.length;
  const skipWhite = (): void => {
    while (i < n && isWhite(s[i])) i++;
  };
  const token = (): string | null => {
    const start = i;
    while (i < n && TOKEN_CHAR.test(s[i])) i++;
    return i > start ? s.slice(start, i) : null;
  };
  for (;;) {
    skipWhite();
    if (i >= n) break;
    if (s[i] === ',') {
      i++;
      continue;
    }
    const name = token();
    if (name === null) return null;
    const params: ExtensionParam[] = [];
    skipWhite();
    while (i < n && s[i] === ';') {
      i++;
      skipWhite();
      const param = token();
      if (param === null) return null;
      skipWhite();
      let v: string | true = true;
      if (s[i] === '=') {
        i++;
        skipWhite();
        if (s[i] === '"') {
          // quoted-string: backslash escapes the next character.
          i++;
          let text = '';
          for (;;) {
            if (i >= n) return null;
            const c = s[i++];
            if (c === '"') break;
            if (c === '\\') {
              if (i >= n) return null;
              text += s[i++];
            } else {
              text += c;
            }
          }
          // RFC 6455 §9.1: the unescaped value must conform to token.
          if (!isToken(text)) return null;
          v = text;
        } else {
          const t = token();
          if (t === null) return null;
          v = t;
        }
        skipWhite();
      }
      params.push([param.toLowerCase(), v]);
    }
    if (i < n && s[i] !== ',') return null;
    out.push({ name: name.toLowerCase(), params });
  }
  return out;
}

/** One list element as a header value: `name; a; b=1`. Values are tokens, written unquoted. */
export function formatExtension(element: ExtensionElement): string {
  let out = element.name;
  for (const [k, v] of element.params) out += v === true ? `; ${k}` : `; ${k}=${v}`;
  return out;
}
