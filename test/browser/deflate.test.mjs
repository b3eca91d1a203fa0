// Compression in a real browser: headless Chromium loads the demo (which
// turns permessage-deflate on), negotiates the extension by itself, and two
// people exchange a long chat line. A TCP proxy between the browser and the
// demo reads every WebSocket frame on the wire, so the test sees what was
// compressed (RSV1, RFC 7692 §6) and how large it was there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { inflateRawSync, constants as zlib } from 'node:zlib';
import { launchChromium } from '../helpers/chromium.mjs';
import { startDemo, stopDemo } from '../helpers/demo-process.mjs';
import { FrameReader } from '../helpers/frames.mjs';

const WAIT = 10_000;
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
let demo, proxy, browser;

/**
 * Forwards 127.0.0.1:<port> to the demo and, on connections that upgrade to
 * WebSocket, parses the frames going each way: `frames.down` (server to
 * browser) and `frames.up` (browser to server), each { rsv1, opcode, length, payload }.
 */
async function startProxy(target) {
  const frames = { down: [], up: [] };
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    const watch = (from, to, list, isUpgradeHead) => {
      let head = Buffer.alloc(0);
      let reader = null;
      from.on('data', (chunk) => {
        to.write(chunk);
        if (reader === null) {
          head = Buffer.concat([head, chunk]);
          const end = head.indexOf('\r\n\r\n');
          if (end < 0 || !isUpgradeHead(head.subarray(0, end).toString('latin1'))) {
            if (end >= 0) head = head.subarray(end + 4); // an ordinary request or response: skip it
            return;
          }
          reader = new FrameReader();
          chunk = head.subarray(end + 4);
        }
        for (const f of reader.push(chunk)) list.push({ rsv1: (f.rsv & 4) !== 0, opcode: f.opcode, length: f.payload.length, payload: f.payload });
      });
      from.on('error', () => to.destroy());
      from.on('close', () => to.destroy());
    };
    watch(upstream, client, frames.down, (h) => h.startsWith('HTTP/1.1 101'));
    watch(client, upstream, frames.up, (h) => /\r\nupgrade:\s*websocket/i.test(h));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: server.address().port, frames };
}

before(async () => {
  demo = await startDemo();
  proxy = await startProxy(demo.port);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  proxy?.server.close();
  if (demo) await stopDemo(demo);
});

async function signIn(name) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // Keep every WebSocket the page opens, to read its negotiated extensions.
  await page.addInitScript(() => {
    const Native = window.WebSocket;
    window.sockets = [];
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        window.sockets.push(this);
      }
    };
  });
  await page.goto(`http://127.0.0.1:${proxy.port}/`);
  await page.fill('#name', name);
  for (const room of ['general', 'dev', 'random']) await page.setChecked(`input[name=group][value=${room}]`, room === 'general');
  await page.click('#signin button[type=submit]');
  await page.waitForSelector('#app:not([hidden])', { timeout: WAIT });
  page.errors = errors;
  return page;
}

const inflate = (payload) => inflateRawSync(Buffer.concat([payload, TAIL]), { finishFlush: zlib.Z_SYNC_FLUSH }).toString('utf8');

test('Chromium negotiates permessage-deflate with the demo, and a long line travels compressed both ways', async () => {
  const ana = await signIn('Ana');
  const bo = await signIn('Bo');
  for (const page of [ana, bo]) {
    const extensions = await page.evaluate(() => window.sockets.filter((s) => s.readyState === 1).map((s) => s.extensions));
    assert.equal(extensions.length, 1, 'one open WebSocket per page');
    assert.match(extensions[0], /permessage-deflate/, 'ws.extensions in the page names the extension');
  }

  // 500 characters, 1,000 bytes of UTF-8: with its envelope, over the 1 KiB threshold.
  const line = 'éèêë'.repeat(125);
  const downBefore = proxy.frames.down.length;
  await ana.fill('#text', line);
  await ana.click('#say button');
  await bo.waitForFunction((l) => document.querySelector('#lines')?.textContent.includes(l), line, { timeout: WAIT });
  await ana.waitForFunction((l) => document.querySelector('#lines')?.textContent.includes(l), line, { timeout: WAIT });

  // Browser to server: Chromium sent the line compressed, and the demo read it.
  const sent = proxy.frames.up.filter((f) => f.rsv1 && f.opcode === 1 && inflate(f.payload).includes(line));
  assert.equal(sent.length, 1, 'the chat/send request went out compressed');
  assert.ok(sent[0].length < 200, `1,000+ bytes went up as ${sent[0].length}`);

  // Server to browser: Ana's answer and Bo's broadcast, both compressed, both carrying the line.
  const received = proxy.frames.down.slice(downBefore).filter((f) => f.opcode === 1 && f.rsv1);
  const withLine = received.filter((f) => inflate(f.payload).includes(line));
  assert.equal(withLine.length, 2, 'the answer to Ana and the broadcast to Bo, compressed');
  for (const f of withLine) {
    const size = Buffer.byteLength(inflate(f.payload));
    assert.ok(size > 1024 && f.length < size / 4, `${size} bytes went down as ${f.length}`);
  }
  assert.ok(withLine.some((f) => JSON.parse(inflate(f.payload)).event === 'chat'), 'one of them is the room broadcast');
  assert.deepEqual([...ana.errors, ...bo.errors], [], 'no errors in the pages');
});
