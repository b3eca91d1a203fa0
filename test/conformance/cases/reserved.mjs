// 3.x Reserved bits and 4.x reserved opcodes. With no extension negotiated,
// any RSV bit (RFC 6455 §5.2) or an unknown opcode (§5.2, §11.8) must fail
// the connection with 1002.
import { encodeFrame, text, binary, ping, pong, cont, close } from '../../helpers/frames.mjs';
import { ev, send, failCase } from './util.mjs';

function reservedBitCases() {
  return {
    title: '3 Reserved bits',
    cases: [
      failCase('3.1', 'text with RSV1 (rsv=4)', [send(text('Hello', { rsv: 4 }))], 1002),
      failCase('3.2', 'text with RSV2 (rsv=2)', [send(text('Hello', { rsv: 2 }))], 1002),
      failCase('3.3', 'text with RSV3 (rsv=1)', [send(text('Hello', { rsv: 1 }))], 1002),
      failCase('3.4', 'text, then text with rsv=2, then ping: echo, 1002, no pong',
        [send([text('Hello'), text('Hello', { rsv: 2 }), ping('p')])], 1002, [ev.text('Hello')]),
      failCase('3.5', 'text, then text with rsv=3, then ping, one write per frame',
        [send([text('Hello'), text('Hello', { rsv: 3 }), ping('p')], 'frames')], 1002, [ev.text('Hello')]),
      failCase('3.6', 'text, then text with rsv=4, then ping, one byte per write',
        [send([text('Hello'), text('Hello', { rsv: 4 }), ping('p')], 'bytewise')], 1002, [ev.text('Hello')]),
      failCase('3.7', 'binary with rsv=5', [send(binary([0, 1, 2, 0xff], { rsv: 5 }))], 1002),
      failCase('3.8', 'ping with rsv=6, no pong', [send(ping('Hello', { rsv: 6 }))], 1002),
      failCase('3.9', 'close with rsv=7, no close echo of 1000', [send(close(1000, '', { rsv: 7 }))], 1002),
      failCase('3.10', 'pong with rsv=1', [send(pong('x', { rsv: 1 }))], 1002),
      failCase('3.11', 'continuation frame with rsv=4 inside a fragmented text',
        [send([text('frag1', { fin: false }), cont('frag2', { rsv: 4 })])], 1002),
      failCase('3.12', 'empty text with rsv=4', [send(text('', { rsv: 4 }))], 1002),
    ],
  };
}

function reservedOpcodeCases() {
  const cases = [];
  const groups = [['4.1', [3, 4, 5, 6, 7], 'non-control'], ['4.2', [11, 12, 13, 14, 15], 'control']];
  for (const [gid, ops, kind] of groups) {
    let n = 1;
    for (const op of ops) {
      const bare = encodeFrame({ opcode: op });
      const loaded = encodeFrame({ opcode: op, payload: 'reserved opcode payload' });
      cases.push(failCase(`${gid}.${n++}`, `reserved ${kind} opcode ${op}, empty`, [send(bare)], 1002));
      cases.push(failCase(`${gid}.${n++}`, `reserved ${kind} opcode ${op} with payload`, [send(loaded)], 1002));
      cases.push(failCase(`${gid}.${n++}`, `text, opcode ${op}, ping in one write: echo, 1002, no pong`,
        [send([text('Hello'), loaded, ping('p')])], 1002, [ev.text('Hello')]));
      cases.push(failCase(`${gid}.${n++}`, `text, opcode ${op}, ping, one byte per write`,
        [send([text('Hello'), loaded, ping('p')], 'bytewise')], 1002, [ev.text('Hello')]));
    }
  }
  // An unknown opcode inside an open fragmented message.
  cases.push(failCase('4.3.1', 'opcode 3 between fragments of a text message',
    [send([text('frag1', { fin: false }), encodeFrame({ opcode: 3, payload: 'x' }), cont('frag2')])], 1002));
  cases.push(failCase('4.3.2', 'opcode 11 (fin=0) between fragments of a binary message',
    [send([binary([1], { fin: false }), encodeFrame({ opcode: 11, fin: false }), cont([2])])], 1002));
  return { title: '4 Reserved opcodes', cases };
}

export const reservedBits = reservedBitCases();
export const reservedOpcodes = reservedOpcodeCases();
