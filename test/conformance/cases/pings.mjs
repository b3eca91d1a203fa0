// 2.x Pings and pongs (RFC 6455 §5.5.2, §5.5.3).
import { ping, pong, text } from '../../helpers/frames.mjs';
import { ev, send, awaitEvents, echoCase, failCase, binaryPayload, asciiPayload } from './util.mjs';

const tenPayloads = Array.from({ length: 10 }, (_, i) => Buffer.from(`ping payload #${i}`));

/** Ten pongs in order; answering only the latest of pending pings is allowed (§5.5.3). */
function tenPongs(events) {
  const got = events.map((e) => `${e.type}:${e.data.toString('latin1')}`);
  const want = tenPayloads.map((p) => `pong:${p.toString('latin1')}`);
  if (got.join('|') === want.join('|')) return null;
  const subsequence = got.every((g) => want.includes(g))
    && got.every((g, i) => i === 0 || want.indexOf(g) > want.indexOf(got[i - 1]));
  if (got.length && subsequence && got[got.length - 1] === want[want.length - 1]) {
    return { nonStrict: `${got.length} of 10 pongs (only the latest pending ping answered)` };
  }
  return `expected 10 pongs echoing the ping payloads in order, got [${got.join(', ')}]`;
}

export default {
  title: '2 Pings and pongs',
  cases: [
    echoCase('2.1', 'ping without payload -> pong without payload', [send(ping())], [ev.pong('')]),
    echoCase('2.2', 'ping with text payload -> pong with same payload',
      [send(ping('Hello, world!'))], [ev.pong('Hello, world!')]),
    echoCase('2.3', 'ping with binary payload (incl. invalid UTF-8) -> same payload',
      [send(ping([0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff]))], [ev.pong([0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff])]),
    echoCase('2.4', 'ping with 125-byte payload -> pong with same payload',
      [send(ping(binaryPayload(125, 24)))], [ev.pong(binaryPayload(125, 24))]),
    failCase('2.5', 'ping with 126-byte payload -> 1002, no pong', [send(ping(asciiPayload(126)))], 1002),
    echoCase('2.6', 'ping with 125-byte payload, one byte per write -> pong with same payload',
      [send(ping(asciiPayload(125, 3)), 'bytewise')], [ev.pong(asciiPayload(125, 3))]),
    echoCase('2.7', 'unsolicited pong without payload is ignored', [send(pong())], []),
    echoCase('2.8', 'unsolicited pong with payload is ignored', [send(pong('unsolicited pong payload'))], []),
    echoCase('2.9', 'unsolicited pong, then ping -> only the ping is answered',
      [send([pong('unsolicited'), ping('solicited')])], [ev.pong('solicited')]),
    echoCase('2.10', '10 pings in one write -> 10 pongs',
      [send(tenPayloads.map((p) => ping(p)))], [], { check: tenPongs }),
    echoCase('2.11', '10 pings, one byte per write -> 10 pongs',
      [send(tenPayloads.map((p) => ping(p)), 'bytewise')], [], { check: tenPongs }),
    echoCase('2.12', '10 pings, each awaited -> 10 pongs',
      tenPayloads.flatMap((p, i) => [send(ping(p)), awaitEvents(i + 1)]), tenPayloads.map((p) => ev.pong(p))),
    failCase('2.13', 'pong with 126-byte payload -> 1002', [send(pong(asciiPayload(126)))], 1002),
    echoCase('2.14', 'ping, text, ping in one write -> pong, echo, pong',
      [send([ping('a'), text('middle'), ping('b')])], [ev.pong('a'), ev.text('middle'), ev.pong('b')]),
  ],
};
