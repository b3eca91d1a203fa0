// The demo (npm start) in a real browser: two people sign in, see each
// other online, chat in a room, exchange a private message, watch
// availability change, and the page reconnects after a server restart. A
// screenshot goes to test-output/demo/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../helpers/chromium.mjs';
import { startDemo, stopDemo } from '../helpers/demo-process.mjs';

// Paths are relative to the package root, wherever the test is run from.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = `${ROOT}test-output/demo`;
const WAIT = 10_000;
let server, browser, port;

before(async () => {
  mkdirSync(OUT, { recursive: true });
  server = await startDemo();
  port = server.port;
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  if (server) await stopDemo(server);
});

async function signIn(name, rooms) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.fill('#name', name);
  for (const room of ['general', 'dev', 'random']) {
    await page.setChecked(`input[name=group][value=${room}]`, rooms.includes(room));
  }
  await page.click('#signin button[type=submit]');
  await page.waitForSelector('#app:not([hidden])', { timeout: WAIT });
  page.errors = errors;
  return page;
}
const texts = (page, sel) => page.$$eval(sel, (els) => els.map((e) => e.textContent));

test('two people use the demo: presence, room chat, private message, availability, reconnection', async () => {
  const ana = await signIn('Ana', ['general', 'dev']);
  const bo = await signIn('Bo', ['general']);
  assert.equal(await ana.textContent('#state'), 'authenticated');

  // Presence: each sees the other online.
  await ana.waitForFunction(() => [...document.querySelectorAll('#people li')].some((li) => li.textContent === 'Bo'), null, { timeout: WAIT });
  assert.deepEqual(await texts(bo, '#people li'), ['Ana']);

  // Room chat: Ana says hello in #general, Bo sees it once.
  await ana.fill('#text', 'hello from Ana');
  await ana.click('#say button');
  await bo.waitForFunction(() => document.querySelector('#lines')?.textContent.includes('hello from Ana'), null, { timeout: WAIT });
  assert.equal((await texts(bo, '#lines li')).filter((t) => t.includes('hello from Ana')).length, 1);
  assert.equal((await texts(ana, '#lines li')).filter((t) => t.includes('hello from Ana')).length, 1, 'the sender shows its own line once');

  // Private message from Bo to Ana.
  await bo.selectOption('#dm-to', { label: 'Ana' });
  await bo.fill('#dm-text', 'psst, Ana');
  await bo.click('#dm button');
  await ana.waitForFunction(() => document.querySelector('#private')?.textContent.includes('psst, Ana'), null, { timeout: WAIT });
  assert.match((await texts(ana, '#private li')).join('\n'), /Bo → you.*psst, Ana/);

  // Availability: Bo goes unavailable and disappears from Ana's list.
  await bo.uncheck('#available');
  await ana.waitForFunction(() => ![...document.querySelectorAll('#people li')].some((li) => li.textContent === 'Bo'), null, { timeout: WAIT });
  await bo.check('#available');
  await ana.waitForFunction(() => [...document.querySelectorAll('#people li')].some((li) => li.textContent === 'Bo'), null, { timeout: WAIT });

  await ana.screenshot({ path: `${OUT}/ana.png`, fullPage: true });
  assert.ok(existsSync(`${OUT}/ana.png`));

  // Restart the server on the same port: both pages reconnect and sign in again.
  await stopDemo(server);
  await ana.waitForFunction(() => document.querySelector('#state').dataset.state !== 'authenticated', null, { timeout: WAIT });
  server = await startDemo(port);
  await ana.waitForFunction(() => document.querySelector('#state').dataset.state === 'authenticated', null, { timeout: 20_000 });
  await bo.waitForFunction(() => document.querySelector('#state').dataset.state === 'authenticated', null, { timeout: 20_000 });
  await ana.waitForFunction(() => [...document.querySelectorAll('#people li')].some((li) => li.textContent === 'Bo'), null, { timeout: WAIT });
  await bo.fill('#text', 'back again');
  await bo.click('#say button');
  await ana.waitForFunction(() => document.querySelector('#lines')?.textContent.includes('back again'), null, { timeout: WAIT });
  await ana.screenshot({ path: `${OUT}/ana-after-restart.png`, fullPage: true });

  assert.deepEqual([...ana.errors, ...bo.errors], [], 'no errors in the pages');
  assert.match(server.output(), /Ana signed in/);
});
