// The browser builds in a real browser: headless Chromium (Debian's
// `chromium` package) driven by playwright-core. Page A loads the classic
// script build, page B the ES module build; both talk to a real
// WebSocketNodeServer. They authenticate, see each other's presence,
// exchange a private message and a group broadcast, and carry on after the
// server is restarted under them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../helpers/chromium.mjs';
import { buildBrowser } from '../../scripts/build-browser.mjs';
import { startApp, restartApp, cred } from '../client/app-server.mjs';

const WAIT = 10_000;

const PAGES = {
  '/a.html': '<!doctype html><title>A</title><script src="/client.global.js"></script><script>window.loaded = true;</script>',
  '/b.html': '<!doctype html><title>B</title><script type="module">import * as m from "/client.js"; window.WebSocketNodeClient = m.WebSocketNodeClient; window.loaded = true;</script>',
};

let dir, web, app, browser;
const pageErrors = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wsns-browser-test-'));
  await buildBrowser({ outdir: dir, entry: fileURLToPath(new URL('../../src/client/browser.ts', import.meta.url)), log: () => {} });
  web = http.createServer((req, res) => {
    const page = PAGES[req.url];
    const file = { '/client.js': 'client.js', '/client.global.js': 'client.global.js' }[req.url];
    if (page) res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    else if (file) res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(join(dir, file)));
    else res.writeHead(404).end();
  });
  await new Promise((resolve) => web.listen(0, '127.0.0.1', resolve));
  app = await startApp();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await app?.server.close();
  await new Promise((resolve) => (web ? web.close(resolve) : resolve()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Opens a page, creates a client in it and authenticates as `user` (alias = user). */
async function openClient(path, user, reconnect = { initialDelay: 50, maxDelay: 400 }) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${path}: ${e.message}`));
  await page.goto(`http://127.0.0.1:${web.address().port}${path}`);
  await page.waitForFunction(() => window.loaded === true, null, { timeout: WAIT });
  const result = await page.evaluate(async ({ url, credentials, reconnect }) => {
    const log = { states: [], presence: [], messages: [], events: [] };
    window.log = log;
    // A fixed jitter makes the delay known: the online test relies on it being long.
    const c = new window.WebSocketNodeClient(url, { reconnect: { ...reconnect, random: () => 0.99 } });
    window.client = c;
    c.onState((e) => log.states.push(e.state === 'authenticated' ? `authenticated:${e.reconnected}` : e.state));
    c.onPresence((client, change) => log.presence.push({ id: client.id, alias: client.alias, change }));
    c.onMessage((data, from) => log.messages.push({ data, from }));
    c.on('room-news', (data, meta) => log.events.push({ data, group: meta.group, from: meta.from }));
    const session = await c.authenticate(credentials);
    return { session, id: c.id, global: typeof window.WebSocketNodeClient.ServerError };
  }, { url: app.url, credentials: cred(user, { alias: user }), reconnect });
  return { page, ...result };
}

test('two browser pages: auth, presence, private message, group broadcast, server restart', { timeout: 60_000 }, async () => {
  const a = await openClient('/a.html', 'alice');
  assert.equal(a.session.name, 'alice');
  assert.equal(a.global, 'function', 'the classic build exposes the errors on the global');
  const b = await openClient('/b.html', 'bob');
  assert.equal(b.session.name, 'bob');
  assert.notEqual(a.id, b.id);

  // Presence both ways: A is told B arrived; B lists A, then sees A change.
  await a.page.waitForFunction((id) => window.log.presence.some((p) => p.id === id && p.change === 'connect'), b.id, { timeout: WAIT });
  const listed = await b.page.evaluate(() => window.client.clients());
  assert.deepEqual(listed.map((c) => c.alias), ['alice']);
  await a.page.evaluate(() => window.client.setAvailable(false));
  await b.page.waitForFunction((id) => window.log.presence.some((p) => p.id === id && p.change === 'availability'), a.id, { timeout: WAIT });
  await a.page.evaluate(() => window.client.setAvailable(true));

  // A private message, by alias.
  await a.page.evaluate(() => window.client.sendMessage({ alias: 'bob' }, { text: 'hi bob' }));
  await b.page.waitForFunction(() => window.log.messages.length === 1, null, { timeout: WAIT });
  assert.deepEqual(await b.page.evaluate(() => window.log.messages[0]), { data: { text: 'hi bob' }, from: { id: a.id, alias: 'alice' } });

  // A group broadcast from B reaches A.
  for (const { page } of [a, b]) await page.evaluate(() => window.client.join('room'));
  await b.page.evaluate(() => window.client.broadcast('room-news', { n: 1 }, { group: 'room' }));
  await a.page.waitForFunction(() => window.log.events.length === 1, null, { timeout: WAIT });
  assert.deepEqual(await a.page.evaluate(() => window.log.events[0]), { data: { n: 1 }, group: 'room', from: { id: b.id, alias: 'bob' } });

  // The server restarts: both pages reconnect and authenticate again on their own.
  app = await restartApp(app);
  for (const { page } of [a, b]) {
    await page.waitForFunction(() => window.log.states.includes('authenticated:true'), null, { timeout: WAIT });
  }
  const statesA = await a.page.evaluate(() => window.log.states);
  assert.ok(statesA.includes('reconnecting'), statesA.join(','));
  assert.equal(await a.page.evaluate(() => window.client.request('whoami')), 'alice');
  const newA = await a.page.evaluate(() => window.client.id);
  assert.notEqual(newA, a.id, 'a new session after the restart');
  await b.page.evaluate((id) => window.client.sendMessage(id, 'after restart'), newA);
  await a.page.waitForFunction(() => window.log.messages.some((m) => m.data === 'after restart'), null, { timeout: WAIT });

  await Promise.all([a, b].map(({ page }) => page.evaluate(() => window.client.close())));
  assert.equal(await a.page.evaluate(() => window.client.state), 'closed');
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(app.errors, []);
});

test("the browser's online event ends a long backoff wait at once", { timeout: 30_000 }, async () => {
  const c = await openClient('/b.html', 'carol', { initialDelay: 60_000, maxDelay: 60_000 });
  // Cut the connection (1006): the next attempt is due in about a minute.
  for (const ws of app.server.getServer().clients) ws.terminate();
  await c.page.waitForFunction(() => window.log.states.at(-1) === 'reconnecting', null, { timeout: WAIT });
  await c.page.context().setOffline(true);
  await c.page.context().setOffline(false);
  await c.page.waitForFunction(() => window.log.states.includes('authenticated:true'), null, { timeout: WAIT });
  assert.equal(await c.page.evaluate(() => window.client.request('whoami')), 'carol');
  await c.page.evaluate(() => window.client.close());
  assert.deepEqual(pageErrors, []);
});
