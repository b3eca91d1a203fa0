// 7.x Close handling (RFC 6455 §5.5.1, §7.1.5, §7.4). The server echoes a
// valid close and then closes TCP; it ignores anything after the close;
// malformed close frames fail with 1002, a reason that is not UTF-8 with 1007.
import { text, cont, ping, close, rawClose, closePayload } from '../../helpers/frames.mjs';
import { ev, send, sendClose, echoCase, failCase, asciiPayload } from './util.mjs';

const VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
const INVALID_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];

/**
 * A case where we send a valid close and the server must answer with
 * `codes`, nothing before it except `expect`, and then close TCP cleanly.
 */
function closeEcho(id, title, steps, codes, expect = [], extra = {}) {
  return { id, title, steps, expect, close: codes, clientCloses: false, cleanClose: true, ...extra };
}

// §5.5.1: the answer "typically echos" the code received; 1000 is also a
// correct answer, but not the preferred one.
const ANSWER_1000 = { codes: [1000], note: 'close answered with 1000 instead of echoing the code received' };

function basics() {
  const big = asciiPayload(64 * 1024);
  return [
    echoCase('7.1.1', 'text, then close(1000) -> echo, close(1000)', [send(text('Hello World!'))], [ev.text('Hello World!')]),
    closeEcho('7.1.2', 'close(1000) twice -> a single close back', [sendClose([close(1000), close(1000)])], [1000]),
    closeEcho('7.1.3', 'close(1000), then ping -> no pong', [sendClose([close(1000), ping('after close')])], [1000]),
    closeEcho('7.1.4', 'close(1000), then text -> no echo', [sendClose([close(1000), text('after close')])], [1000]),
    closeEcho('7.1.5', 'text fragment, close(1000), last fragment -> no echo',
      [sendClose([text('fragment1', { fin: false }), close(1000), cont('fragment2')])], [1000]),
    closeEcho('7.1.6', '10 x 64 KiB text, ping, close(1000) in one write -> 10 echoes, pong, close',
      [sendClose([...Array.from({ length: 10 }, () => text(big)), ping('last ping'), close(1000)])], [1000],
      [...Array.from({ length: 10 }, () => ev.text(big)), ev.pong('last ping')]),
    closeEcho('7.1.7', 'close(1000), then text, one write per frame -> no echo',
      [sendClose([close(1000), text('after close')], 'frames')], [1000]),
    closeEcho('7.1.8', 'close(1000), then ping, one byte per write -> no pong',
      [sendClose([close(1000), ping('after close')], 'bytewise')], [1000]),
  ];
}

function payloads() {
  const reason123 = asciiPayload(123);
  const reason124 = asciiPayload(124);
  return [
    closeEcho('7.3.1', 'close without payload -> close back (no code, or 1000)', [sendClose(close())], [null, 1000]),
    failCase('7.3.2', 'close with a 1-byte payload -> 1002', [sendClose(rawClose(Buffer.from([0x03])))], 1002),
    closeEcho('7.3.3', 'close(1000) without reason', [sendClose(close(1000))], [1000]),
    closeEcho('7.3.4', 'close(1000, "Hello World!")', [sendClose(close(1000, 'Hello World!'))], [1000]),
    closeEcho('7.3.5', 'close(1000) with a 123-byte reason (125-byte payload)', [sendClose(close(1000, reason123))], [1000]),
    failCase('7.3.6', 'close(1000) with a 124-byte reason (126-byte payload) -> 1002',
      [sendClose(close(1000, reason124))], 1002),
    closeEcho('7.3.7', 'close(1000, "bye"), one byte per write', [sendClose(close(1000, 'bye'), 'bytewise')], [1000]),
    failCase('7.3.8', 'close frame with fin=0 (fragmented control frame) -> 1002',
      [send(close(1000, 'x', { fin: false }))], 1002),
    closeEcho('7.3.9', 'close(1000) with a multi-byte UTF-8 reason', [sendClose(close(1000, '\u00b5\u00df\u03ba\u{1f600}'))], [1000]),
    failCase('7.5.1', 'close(1000) with invalid UTF-8 reason (surrogate) -> 1007',
      [sendClose(rawClose(Buffer.concat([closePayload(1000), Buffer.from('cebae1bdb9cf83cebcceb5eda080656469746564', 'hex')])))], 1007),
    failCase('7.5.2', 'close(1000) with a truncated UTF-8 reason -> 1007',
      [sendClose(rawClose(Buffer.concat([closePayload(1000), Buffer.from('41e282', 'hex')])))], 1007),
    failCase('7.5.3', 'close(1000) with an overlong UTF-8 reason -> 1007',
      [sendClose(rawClose(Buffer.concat([closePayload(1000), Buffer.from('c0af', 'hex')])))], 1007),
  ];
}

function codes() {
  const cases = [];
  let n = 1;
  for (const code of VALID_CODES) {
    const extra = code === 1000 ? {} : { closeAlternatives: [ANSWER_1000] };
    cases.push(closeEcho(`7.7.${n++}`, `close(${code}) -> close(${code}) back`, [sendClose(close(code))], [code], [], extra));
  }
  cases.push(closeEcho(`7.7.${n++}`, 'close(4000, "reason") -> close(4000) back', [sendClose(close(4000, 'reason'))], [4000], [],
    { closeAlternatives: [ANSWER_1000] }));
  n = 1;
  for (const code of INVALID_CODES) {
    cases.push(failCase(`7.9.${n++}`, `close with invalid code ${code} -> 1002`, [sendClose(close(code))], 1002));
  }
  return cases;
}

export default { title: '7 Close handling', cases: [...basics(), ...payloads(), ...codes()] };
