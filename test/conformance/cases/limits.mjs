// 9.x Limits: large messages up to 16 MiB, whole and fragmented, and long
// runs of small messages; plus the maxPayload option (RFC 6455 §7.4.1: 1009).
import { OP, text, binary, fragments } from '../../helpers/frames.mjs';
import { ev, send, echoCase, failCase, binaryPayload, utf8Payload, asciiPayload, KiB, MiB } from './util.mjs';

const BIG = { responseMs: 20000, timeoutMs: 40000 };

// Payloads are made lazily so the other groups do not pay for 16 MiB buffers.
const memo = new Map();
function payload(kind, size) {
  const k = `${kind}:${size}`;
  if (!memo.has(k)) memo.set(k, kind === 'text' ? utf8Payload(size) : binaryPayload(size, size % 251));
  return memo.get(k);
}

function largeCases() {
  const cases = [];
  const sizes = [64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB, 16 * MiB];
  for (const [gid, kind] of [['9.1', 'text'], ['9.2', 'binary']]) {
    sizes.forEach((size, i) => {
      const label = size >= MiB ? `${size / MiB} MiB` : `${size / KiB} KiB`;
      const id = `${gid}.${i + 1}`;
      cases.push({
        id, title: `${kind} ~${label} in one frame`, lazy: true, ...BIG,
        build: () => {
          const p = payload(kind, size);
          return { steps: [send(kind === 'text' ? text(p) : binary(p))], expect: [ev[kind](p)] };
        },
      });
    });
  }
  let n = 1;
  for (const kind of ['text', 'binary']) {
    for (const [size, piece] of [[16 * MiB, 64 * KiB], [16 * MiB, 4 * KiB], [4 * MiB, 4 * KiB], [1 * MiB, 64]]) {
      const id = `9.3.${n++}`;
      const label = `${size / MiB} MiB`;
      const pieceLabel = piece >= KiB ? `${piece / KiB} KiB` : `${piece} B`;
      cases.push({
        id, title: `${kind} ~${label} in ${pieceLabel} fragments`, lazy: true, ...BIG,
        build: () => {
          const p = payload(kind, size);
          return { steps: [send(fragments(kind === 'text' ? OP.TEXT : OP.BINARY, p, piece))], expect: [ev[kind](p)] };
        },
      });
    }
  }
  return cases.map((c) => ({ clientCloses: true, cleanClose: true, close: [1000], ...c }));
}

function manySmallCases() {
  const cases = [];
  let n = 1;
  for (const kind of ['text', 'binary']) {
    for (const size of [0, 16, 64, 256, 1024, 4096]) {
      const payloads = Array.from({ length: 1000 }, (_, i) => (kind === 'text' ? asciiPayload(size, i) : binaryPayload(size, i + 1)));
      const frames = payloads.map((p) => (kind === 'text' ? text(p) : binary(p)));
      cases.push(echoCase(`9.7.${n++}`, `1000 ${kind} messages of ${size} bytes in one write, echoed in order`,
        [send(frames)], payloads.map((p) => ev[kind](p)), { responseMs: 10000, timeoutMs: 20000 }));
    }
  }
  return cases;
}

/** Cases for an echo server started with maxPayload: 1024. */
function maxPayloadCases() {
  const opts = { server: 'limited' };
  return [
    echoCase('9.9.1', 'maxPayload 1024: text of 1024 bytes is echoed', [send(text(asciiPayload(1024)))], [ev.text(asciiPayload(1024))], opts),
    failCase('9.9.2', 'maxPayload 1024: text of 1025 bytes -> 1009', [send(text(asciiPayload(1025)))], 1009, [], opts),
    failCase('9.9.3', 'maxPayload 1024: binary of 65536 bytes -> 1009', [send(binary(binaryPayload(65536)))], 1009, [], opts),
    failCase('9.9.4', 'maxPayload 1024: 3 fragments of 400 bytes (1200 in all) -> 1009',
      [send(fragments(OP.BINARY, binaryPayload(1200), 400))], 1009, [], opts),
    failCase('9.9.5', 'maxPayload 1024: 64-bit length header announcing 2^40 bytes -> 1009',
      [send(Buffer.from([0x82, 0xff, 0, 0, 0x01, 0, 0, 0, 0, 0, 1, 2, 3, 4]))], 1009, [], opts),
    // Default limit, as in ws: 100 MiB. A header announcing one byte more is refused at once.
    failCase('9.9.6', 'default maxPayload: header announcing 100 MiB + 1 bytes -> 1009',
      [send(Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0x06, 0x40, 0x00, 0x01, 1, 2, 3, 4]))], 1009),
  ];
}

export const maxPayloadServerOptions = { maxPayload: 1024 };

export default { title: '9 Limits', cases: [...largeCases(), ...manySmallCases(), ...maxPayloadCases()] };
