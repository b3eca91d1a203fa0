// The conformance runner can tell a broken server from a correct one: the
// same cases that pass against our server and `ws` are run against raw
// node:net servers that each get one thing wrong, and must come out FAILED
// (or NON-STRICT exactly where RFC 6455 leaves the choice).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeServer } from '../helpers/fake-server.mjs';
import { OP, encodeFrame, closePayload, parseClose } from '../helpers/frames.mjs';
import { runCase } from '../helpers/conformance-runner.mjs';
import { groups } from './cases/index.mjs';

const byId = new Map(groups.flatMap((g) => g.cases).map((c) => [c.id, c]));
const code4000 = [...byId.values()].find((c) => c.title === 'close(4000) -> close(4000) back');
/** Short waits: a fake that never answers should not cost the default 2 s per step. */
function pick(id) {
  const c = id === '7.7.4000' ? code4000 : byId.get(id);
  assert.ok(c, `no case ${id}`);
  return { ...c, responseMs: 400, tcpCloseMs: 400 };
}

// Cases that end with a close handshake the client starts cleanly.
const CLEAN = ['1.1.1', '1.3.3', '2.1', '7.1.1', '7.3.3', '7.7.4000'];

const serverFrame = (opcode, payload) => encodeFrame({ opcode, payload, mask: false });
const closeFrame = (code) => serverFrame(OP.CLOSE, closePayload(code));

/**
 * A minimal echo server: echoes whole text/binary frames, answers pings,
 * fails the connection with 1002 on RSV bits. What it does on a close frame,
 * after failing, with pings and with messages is up to `behaviour`.
 */
async function fakeEcho(behaviour = {}) {
  const b = {
    onClose: (peer, code) => { peer.write(closeFrame(code)); peer.end(); },
    onFail: (peer, code) => { peer.write(closeFrame(code)); peer.end(); },
    answerPings: (pings) => pings,
    echo: (peer, f) => peer.write(serverFrame(f.opcode, f.payload)),
    ...behaviour,
  };
  const fake = await startFakeServer((peer) => {
    peer.accept();
    let seen = 0;
    let done = false;
    peer.on('change', () => {
      // Pings that arrived together are answered together (or not: behaviour).
      let pings = [];
      const answer = () => {
        for (const p of b.answerPings(pings)) peer.write(serverFrame(OP.PONG, p));
        pings = [];
      };
      while (!done && seen < peer.frames.length) {
        const f = peer.frames[seen++];
        if (f.opcode !== OP.PING) answer();
        if (f.rsv) { done = true; b.onFail(peer, 1002); break; }
        if (f.opcode === OP.TEXT || f.opcode === OP.BINARY) b.echo(peer, f);
        else if (f.opcode === OP.PING) pings.push(f.payload);
        else if (f.opcode === OP.CLOSE) {
          done = true;
          const { code } = parseClose(f.payload);
          b.onClose(peer, Number.isInteger(code) ? code : 1000);
        }
      }
      answer();
    });
  });
  cleanups.push(() => fake.close());
  return { port: fake.port, errors: [] };
}

/** Write the close frame, let the client read it, then reset TCP (SO_LINGER 0). */
function closeThenReset(peer, code) {
  peer.write(closeFrame(code));
  setTimeout(() => peer.socket.resetAndDestroy(), 50);
}

const cleanups = [];
after(async () => { for (const c of cleanups) await c(); });

async function verdictOf(id, server) {
  try {
    const r = await runCase(pick(id), server);
    return { verdict: r.verdict, text: r.note };
  } catch (err) {
    return { verdict: 'FAILED', text: err.message };
  }
}

async function expectAll(server, ids, verdict, pattern) {
  for (const id of ids) {
    const r = await verdictOf(id, server);
    assert.equal(r.verdict, verdict, `${id}: ${r.text}`);
    if (pattern) assert.match(r.text, pattern, id);
  }
}

describe('conformance runner honesty', () => {
  test('a correct fake server passes the cases used below (control)', { timeout: 20000 }, async () => {
    await expectAll(await fakeEcho(), [...CLEAN, '3.1', '2.10'], 'OK');
  });

  test('a server that resets TCP after answering a clean close is FAILED', { timeout: 20000 }, async () => {
    await expectAll(await fakeEcho({ onClose: closeThenReset }), CLEAN, 'FAILED',
      /server reset the TCP connection .* instead of closing it/);
  });

  test('a server that resets TCP on a close frame without answering is FAILED', { timeout: 20000 }, async () => {
    await expectAll(await fakeEcho({ onClose: (peer) => peer.socket.resetAndDestroy() }), CLEAN, 'FAILED',
      /expected a close frame with .*, got none/);
  });

  test('a server that closes TCP on a close frame without answering is FAILED', { timeout: 20000 }, async () => {
    await expectAll(await fakeEcho({ onClose: (peer) => peer.end() }), CLEAN, 'FAILED',
      /expected a close frame with .*, got none/);
  });

  test('a server that never answers a close and keeps TCP open is FAILED', { timeout: 30000 }, async () => {
    await expectAll(await fakeEcho({ onClose: () => {} }), CLEAN, 'FAILED',
      /got none[\s\S]*did not close the TCP connection/);
  });

  test('a server that answers a close and keeps TCP open is FAILED', { timeout: 30000 }, async () => {
    await expectAll(await fakeEcho({ onClose: (peer, code) => peer.write(closeFrame(code)) }), CLEAN, 'FAILED',
      /did not close the TCP connection/);
  });

  test('a server that answers a close with a wrong code is FAILED', { timeout: 20000 }, async () => {
    const server = await fakeEcho({ onClose: (peer) => { peer.write(closeFrame(1002)); peer.end(); } });
    await expectAll(server, CLEAN, 'FAILED', /expected close (1000|4000), got close\(1002\)/);
  });

  test('answering close(4000) with 1000 is NON-STRICT (§5.5.1 "typically echos"); 1000 to 1000 is OK', { timeout: 20000 }, async () => {
    const server = await fakeEcho({ onClose: (peer) => { peer.write(closeFrame(1000)); peer.end(); } });
    await expectAll(server, ['7.7.4000'], 'NON-STRICT', /instead of echoing/);
    await expectAll(server, ['7.1.1', '7.3.3'], 'OK');
  });

  test('a reset after failing the connection is NON-STRICT, not OK and not FAILED (§7.1.7)', { timeout: 20000 }, async () => {
    await expectAll(await fakeEcho({ onFail: closeThenReset }), ['3.1'], 'NON-STRICT', /not a FIN/);
  });

  test('a server that fails the connection with the wrong code is FAILED', { timeout: 20000 }, async () => {
    const server = await fakeEcho({ onFail: (peer) => { peer.write(closeFrame(1011)); peer.end(); } });
    await expectAll(server, ['3.1'], 'FAILED', /expected close 1002, got close\(1011\)/);
  });

  test('pongs: only the latest of pending pings is NON-STRICT (§5.5.3), none is FAILED', { timeout: 20000 }, async () => {
    await expectAll(await fakeEcho({ answerPings: (pings) => pings.slice(-1) }), ['2.10'], 'NON-STRICT', /only the latest/);
    await expectAll(await fakeEcho({ answerPings: () => [] }), ['2.10', '2.1'], 'FAILED', /expected/);
  });

  test('a server that closes on its own right after its answers is FAILED', { timeout: 20000 }, async () => {
    // The echo and the close leave in one write, so the close is here before the client's.
    const server = await fakeEcho({ echo: (peer, f) => peer.write(Buffer.concat([serverFrame(f.opcode, f.payload), closeFrame(1000)])) });
    await expectAll(server, ['1.1.1'], 'FAILED', /close frame before the client's close/);
  });

  test('a server that echoes a message changed is FAILED', { timeout: 20000 }, async () => {
    const server = await fakeEcho({ answerPings: (pings) => pings.map((p) => Buffer.concat([p, Buffer.from('!')])) });
    await expectAll(server, ['2.1'], 'FAILED', /expected pong\[0\]/);
  });
});
