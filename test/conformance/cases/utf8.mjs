// 6.x UTF-8 handling (RFC 6455 §5.6, §8.1; UTF-8 per RFC 3629). Valid text is
// echoed byte for byte however it is fragmented; invalid text fails with 1007,
// whether the bad bytes sit in one frame or are spread over fragments.
import { OP, text, binary, cont, fragments, fragmentsAt } from '../../helpers/frames.mjs';
import { ev, send, echoCase, failCase } from './util.mjs';

const h = (s) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const kosme = h('ce ba e1 bd b9 cf 83 ce bc ce b5');

// [name, bytes] - all must be accepted.
const VALID = [
  ['ASCII', Buffer.from('Hello, world!')],
  ['mixed Latin-1 supplement', Buffer.from('Hello-\u00b5@\u00df\u00f6\u00e4\u00fc\u00e0\u00e1-UTF-8!!')],
  ['Greek "kosme"', kosme],
  ['CJK', h('e4 b8 ad e6 96 87 e6 b5 8b e8 af 95')],
  ['emoji (4-byte)', h('f0 9f 98 80 f0 9f 8e 89')],
  ['first 1-byte sequence U+0000', h('00')],
  ['first 2-byte sequence U+0080', h('c2 80')],
  ['first 3-byte sequence U+0800', h('e0 a0 80')],
  ['first 4-byte sequence U+10000', h('f0 90 80 80')],
  ['last 1-byte sequence U+007F', h('7f')],
  ['last 2-byte sequence U+07FF', h('df bf')],
  ['last 3-byte sequence U+FFFF', h('ef bf bf')],
  ['last 4-byte sequence U+10FFFF', h('f4 8f bf bf')],
  ['U+D7FF (just below surrogates)', h('ed 9f bf')],
  ['U+E000 (just above surrogates)', h('ee 80 80')],
  ['U+FFFD replacement character', h('ef bf bd')],
  ['noncharacters U+FFFE U+FDD0 U+1FFFE U+10FFFE', h('ef bf be ef b7 90 f0 9f bf be f4 8f bf be')],
  ['every length in a row', h('41 c3 a9 e2 82 ac f0 9d 84 9e 41')],
];

// [name, bytes] - all must fail with 1007.
const INVALID = [
  ['kosme + surrogate + "edited"', Buffer.concat([kosme, h('ed a0 80'), Buffer.from('edited')])],
  ['U+110000 (beyond U+10FFFF)', h('f4 90 80 80')],
  ['U+1FFFFF as 4 bytes', h('f7 bf bf bf')],
  ['start byte f5', h('f5 80 80 80')],
  ['5-byte sequence U+200000', h('f8 88 80 80 80')],
  ['6-byte sequence U+4000000', h('fc 84 80 80 80 80')],
  ['last 5-byte sequence', h('fb bf bf bf bf')],
  ['last 6-byte sequence', h('fd bf bf bf bf bf')],
  ['lone continuation 0x80', h('80')],
  ['lone continuation 0xbf', h('bf')],
  ['continuations 80 bf 80', h('80 bf 80')],
  ['all 64 continuation bytes', Buffer.from(Array.from({ length: 64 }, (_, i) => 0x80 + i))],
  ['text then lone continuation', h('41 42 80 43')],
  ['lonely 2-byte starts c0..df each followed by space', Buffer.from(Array.from({ length: 32 }, (_, i) => [0xc0 + i, 0x20]).flat())],
  ['lonely 3-byte starts e0..ef each followed by space', Buffer.from(Array.from({ length: 16 }, (_, i) => [0xe0 + i, 0x20]).flat())],
  ['lonely 4-byte starts f0..f7 each followed by space', Buffer.from(Array.from({ length: 8 }, (_, i) => [0xf0 + i, 0x20]).flat())],
  ['lonely start c2 followed by space', h('c2 20')],
  ['truncated 2-byte sequence at end (ce)', h('41 ce')],
  ['truncated 3-byte sequence at end (e1 bd)', h('41 e1 bd')],
  ['truncated 4-byte sequence at end (f0 9f 98)', h('41 f0 9f 98')],
  ['truncated kosme (last byte missing)', kosme.subarray(0, kosme.length - 1)],
  ['2-byte sequence, last byte missing (c0)', h('c0')],
  ['3-byte sequence, last byte missing (e0 80)', h('e0 80')],
  ['4-byte sequence, last byte missing (f0 80 80)', h('f0 80 80')],
  ['U+07FF, last byte missing (df)', h('df')],
  ['U+FFFF, last byte missing (ef bf)', h('ef bf')],
  ['U+10FFFF, last byte missing (f4 8f bf)', h('f4 8f bf')],
  ['truncated sequence followed by ASCII', h('e2 82 41')],
  ['concatenated incomplete sequences', h('c0 e0 80 f0 80 80 f8 80 80 80 fc 80 80 80 80 df ef bf f7 bf bf fb bf bf bf fd bf bf bf bf')],
  ['impossible byte fe', h('fe')],
  ['impossible byte ff', h('ff')],
  ['impossible bytes fe fe ff ff', h('fe fe ff ff')],
  ['overlong "/" 2 bytes', h('c0 af')],
  ['overlong "/" 3 bytes', h('e0 80 af')],
  ['overlong "/" 4 bytes', h('f0 80 80 af')],
  ['overlong "/" 5 bytes', h('f8 80 80 80 af')],
  ['overlong "/" 6 bytes', h('fc 80 80 80 80 af')],
  ['maximum overlong 2 bytes (c1 bf)', h('c1 bf')],
  ['maximum overlong 3 bytes (e0 9f bf)', h('e0 9f bf')],
  ['maximum overlong 4 bytes (f0 8f bf bf)', h('f0 8f bf bf')],
  ['overlong NUL 2 bytes', h('c0 80')],
  ['overlong NUL 3 bytes', h('e0 80 80')],
  ['overlong NUL 4 bytes', h('f0 80 80 80')],
  ['surrogate U+D800', h('ed a0 80')],
  ['surrogate U+DB7F', h('ed ad bf')],
  ['surrogate U+DB80', h('ed ae 80')],
  ['surrogate U+DBFF', h('ed af bf')],
  ['surrogate U+DC00', h('ed b0 80')],
  ['surrogate U+DF80', h('ed be 80')],
  ['surrogate U+DFFF', h('ed bf bf')],
  ['surrogate pair U+D800 U+DC00', h('ed a0 80 ed b0 80')],
  ['surrogate pair U+D800 U+DFFF', h('ed a0 80 ed bf bf')],
  ['surrogate pair U+DB7F U+DC00', h('ed ad bf ed b0 80')],
  ['surrogate pair U+DBFF U+DFFF', h('ed af bf ed bf bf')],
  ['CESU-8 emoji (surrogates encoded separately)', h('ed a0 bd ed b8 80')],
];

function validCases() {
  const cases = [];
  let n = 1;
  for (const [name, bytes] of VALID) {
    cases.push(echoCase(`6.1.${n++}`, `valid ${name}, one frame`, [send(text(bytes))], [ev.text(bytes)]));
    cases.push(echoCase(`6.1.${n++}`, `valid ${name}, one byte per write`, [send(text(bytes), 'bytewise')], [ev.text(bytes)]));
    if (bytes.length > 1) {
      cases.push(echoCase(`6.1.${n++}`, `valid ${name}, one fragment per byte`,
        [send(fragments(OP.TEXT, bytes, 1))], [ev.text(bytes)]));
    }
  }
  return cases;
}

/** Valid multi-byte text split into 2 fragments at every byte position. */
function validSplitCases() {
  const cases = [];
  let n = 1;
  const subjects = [
    ['kosme', kosme],
    ['every length in a row', h('41 c3 a9 e2 82 ac f0 9d 84 9e 41')],
    ['U+10FFFF', h('f4 8f bf bf')],
  ];
  for (const [name, bytes] of subjects) {
    for (let cut = 1; cut < bytes.length; cut++) {
      cases.push(echoCase(`6.2.${n++}`, `valid ${name} split into 2 fragments at byte ${cut}`,
        [send(fragmentsAt(OP.TEXT, bytes, [cut]))], [ev.text(bytes)]));
    }
  }
  // Split in 3 around each character of the 4-byte sequence, with empty fragments in between.
  const four = h('f0 9f 98 80');
  cases.push(echoCase(`6.2.${n++}`, 'valid 4-byte sequence split 1+1+1+1 with empty fragments between',
    [send(fragmentsAt(OP.TEXT, four, [1, 1, 2, 2, 3, 3]))], [ev.text(four)]));
  return cases;
}

function invalidCases() {
  const cases = [];
  let n = 1;
  for (const [name, bytes] of INVALID) {
    cases.push(failCase(`6.3.${n++}`, `invalid ${name}, one frame -> 1007`, [send(text(bytes))], 1007));
    if (bytes.length > 1) {
      cases.push(failCase(`6.3.${n++}`, `invalid ${name}, one fragment per byte -> 1007`,
        [send(fragments(OP.TEXT, bytes, 1), 'frames')], 1007));
    }
  }
  return cases;
}

/** Invalid text split into 2 fragments at every byte position, and the same bytes as binary. */
function invalidSplitCases() {
  const cases = [];
  let n = 1;
  const subjects = [
    ['kosme + surrogate + "edited"', Buffer.concat([kosme, h('ed a0 80'), Buffer.from('edited')])],
    ['overlong NUL 3 bytes in text', h('41 e0 80 80 42')],
    ['U+110000 in text', h('41 f4 90 80 80 42')],
    ['truncated 4-byte at the end', h('41 42 f0 9f 98')],
  ];
  for (const [name, bytes] of subjects) {
    for (let cut = 1; cut < bytes.length; cut++) {
      cases.push(failCase(`6.4.${n++}`, `invalid ${name} split into 2 fragments at byte ${cut} -> 1007`,
        [send(fragmentsAt(OP.TEXT, bytes, [cut]), 'frames')], 1007));
    }
  }
  cases.push(failCase(`6.4.${n++}`, 'valid first message, then invalid text -> echo, 1007',
    [send([text(kosme), text(h('ed a0 80'))])], 1007, [ev.text(kosme)]));
  cases.push(failCase(`6.4.${n++}`, 'invalid first fragment, valid rest -> 1007',
    [send([text(h('ff'), { fin: false }), cont('abc')], 'frames')], 1007));
  // Binary messages carry arbitrary bytes: no UTF-8 check applies.
  cases.push(echoCase(`6.5.1`, 'binary with invalid UTF-8 (surrogate) is echoed',
    [send(binary(h('ed a0 80')))], [ev.binary(h('ed a0 80'))]));
  cases.push(echoCase(`6.5.2`, 'binary with bytes fe ff c0 80 is echoed',
    [send(binary(h('fe ff c0 80')))], [ev.binary(h('fe ff c0 80'))]));
  cases.push(echoCase(`6.5.3`, 'fragmented binary, invalid UTF-8 split across fragments, is echoed',
    [send(fragmentsAt(OP.BINARY, h('41 f4 90 80 80'), [2, 3]))], [ev.binary(h('41 f4 90 80 80'))]));
  return cases;
}

export default {
  title: '6 UTF-8 handling',
  cases: [...validCases(), ...validSplitCases(), ...invalidCases(), ...invalidSplitCases()],
};
