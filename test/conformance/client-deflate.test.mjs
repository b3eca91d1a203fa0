// Client conformance of permessage-deflate (RFC 7692): the target's client
// against a raw node:net server that answers the offer as told, then sends
// compressed frames (made by an independent zlib stream) or breaks a rule,
// and checks what the client sends: masked, RSV1 on first frames only, data
// a zlib stream of the negotiated client window inflates (a fresh one per
// message under client_no_context_takeover). CONFORMANCE_TARGET=ws runs the
// same tests against the `ws` client.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket, targetName } from '../helpers/target.mjs';
import { startFakeServer } from '../helpers/fake-server.mjs';
import { record, bytesOf } from '../helpers/client-log.mjs';
import { OP, encodeFrame, parseClose } from '../helpers/frames.mjs';
import { PeerDeflater, decodeServerFrames, paramList } from './cases/deflate-codec.mjs';

const WAIT = 5000;
const frame = (opcode, payload, o = {}) => encodeFrame({ opcode, payload, mask: false, ...o });

/** A client connected to a fake server that answers with `answer`; `body` runs with both. */
async function scenario({ answer, options, onOpen }, body) {
  const fake = await startFakeServer(async (peer) => {
    peer.accept({ extraLines: answer === null ? [] : [`Sec-WebSocket-Extensions: ${answer}`] });
    await onOpen?.(peer);
  });
  const ws = new WebSocket(fake.url, options);
  const log = record(ws);
  try {
    await body({ ws, log, peer: () => fake.peers[0], fake });
    assert.deepEqual(fake.failures, [], 'fake server handler failed');
  } finally {
    try { ws.terminate(); } catch { /* gone */ }
    await fake.close();
  }
}

/** The client's frames decoded as a server's would be: its window and context rule are those the answer gave it. */
function clientMessages(frames, bits, noContext) {
  // decodeServerFrames reads the sender's window and context rule from an answer: give it the client's.
  const header = `permessage-deflate; server_max_window_bits=${bits}${noContext ? '; server_no_context_takeover' : ''}`;
  return decodeServerFrames(frames, { 'sec-websocket-extensions': header }, paramList(header));
}

async function expectFailure({ log, peer }, code) {
  assert.ok(await log.waitFor(() => log.closeEvent !== null, WAIT), `no 'close' (events: ${log.order.join(', ')})`);
  const close = await peer().frame(OP.CLOSE, WAIT);
  assert.ok(close, 'client sent no close frame');
  assert.equal(parseClose(close.payload).code, code);
  assert.equal(log.messages.length, 0, 'nothing delivered');
}

describe(`client permessage-deflate conformance (${targetName})`, () => {
  test("offers the extension by default, as ws's client does", { timeout: 10000 }, async () => {
    await scenario({ answer: null }, async ({ log, peer }) => {
      assert.ok(await log.waitFor(() => log.opened, WAIT));
      assert.equal(peer().headers['sec-websocket-extensions'], 'permessage-deflate; client_max_window_bits');
    });
  });

  for (const [answer, bits, noContext] of [
    ['permessage-deflate', 15, false],
    ['permessage-deflate; client_no_context_takeover', 15, true],
    ['permessage-deflate; client_max_window_bits=9', 9, false],
    ['permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=10', 10, true],
  ]) {
    test(`answer "${answer}": receives compressed messages; sends masked, RSV1, within the answer`, { timeout: 15000 }, async () => {
      const texts = Array.from({ length: 6 }, (_, i) => `message ${i % 2} `.repeat(200 + i));
      const serverBits = /server_max_window_bits=(\d+)/.exec(answer)?.[1] ?? 15;
      const serverNoContext = answer.includes('server_no_context_takeover');
      await scenario({
        answer,
        onOpen: async (peer) => {
          const d = new PeerDeflater(Number(serverBits), serverNoContext);
          for (const t of texts) peer.write(frame(OP.TEXT, await d.message(t), { rsv: 4 }));
          d.close();
        },
      }, async ({ ws, log, peer }) => {
        assert.ok(await log.waitFor(() => log.messages.length >= texts.length, WAIT), `got ${log.messages.length} messages`);
        assert.deepEqual(log.messages.map((m) => bytesOf(m.data).toString()), texts);
        assert.equal(ws.extensions, 'permessage-deflate');
        for (const t of texts) ws.send(t);
        ws.send('x'.repeat(3000), { fin: false });
        ws.send('y'.repeat(10));
        assert.ok(await peer().waitFor(() => peer().frames.filter((f) => f.fin).length >= texts.length + 1, WAIT));
        const frames = peer().frames;
        assert.ok(frames.every((f) => f.masked), 'every client frame is masked');
        assert.ok(frames.some((f) => f.rsv & 4), 'the client compressed');
        const { frames: plain, problems } = await clientMessages(frames, bits, noContext);
        assert.deepEqual(problems, []);
        assert.deepEqual(plain.map((f) => f.payload.toString()), [...texts, 'x'.repeat(3000) + 'y'.repeat(10)]);
      });
    });
  }

  const failures = [
    ['RSV1 on a continuation frame -> 1002', async (peer) => {
      const d = new PeerDeflater();
      const c = await d.message('hello fragmented');
      d.close();
      peer.write(Buffer.concat([frame(OP.TEXT, c.subarray(0, 3), { rsv: 4, fin: false }), frame(OP.CONT, c.subarray(3), { rsv: 4 })]));
    }, 1002],
    ['RSV1 on a ping -> 1002', (peer) => peer.write(frame(OP.PING, 'p', { rsv: 4 })), 1002],
    ['invalid DEFLATE data -> 1007', (peer) => peer.write(frame(OP.BINARY, Buffer.from([0xff, 0xfe, 0xfd]), { rsv: 4 })), 1007],
    ['a bomb against maxPayload 64 KiB -> 1009', async (peer) => {
      const d = new PeerDeflater();
      peer.write(frame(OP.BINARY, await d.message(Buffer.alloc(8 * 1024 * 1024)), { rsv: 4 }));
      d.close();
    }, 1009],
  ];
  for (const [title, send, code] of failures) {
    test(title, { timeout: 10000 }, async () => {
      await scenario({ answer: 'permessage-deflate', options: { maxPayload: 64 * 1024 }, onOpen: send }, (ctx) => expectFailure(ctx, code));
    });
  }

  test('RSV1 when the server answered no extension -> 1002', { timeout: 10000 }, async () => {
    await scenario({ answer: null, onOpen: (peer) => peer.write(frame(OP.TEXT, Buffer.from([0xf2, 0x48, 0x04, 0x00]), { rsv: 4 })) }, (ctx) => expectFailure(ctx, 1002));
  });
});
