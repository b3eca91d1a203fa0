// RedisHistory (the shared recovery store) against a real redis-server,
// with each client library it accepts: node-redis 6 (`redis`), node-redis 4
// (`redis4`) and ioredis 6. Each flavour gets its own server; the outage
// test stops it and starts it again on the same port. Every wait is
// bounded; nothing asserts how long anything took.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient as createClient6 } from 'redis';
import { createClient as createClient4 } from 'redis4';
import { Redis } from 'ioredis';
import { RedisHistory } from '../../dist/esm/scale/redis-history.js';
import { startRedisServer } from '../helpers/redis-server.mjs';
import { sleep, until, within } from '../helpers/wait.mjs';

const WAIT = 8000;

const unhandled = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));

/** A group name no key or channel syntax would like: emoji, quotes, a newline, a colon, braces. */
const GROUP = 'g:salle "à" 😀\n{x}:y\\z';

const flavours = [
  {
    name: 'node-redis 6',
    create: (url) => createClient6({ url, socket: { reconnectStrategy: () => 50 } }),
    ready: (client) => client.connect(),
    usable: (client) => client.isReady,
    raw: (client, args) => client.sendCommand(args),
    subscribe: (client, channel, onMessage) => client.subscribe(channel, (message) => onMessage(message)),
  },
  {
    name: 'node-redis 4',
    create: (url) => createClient4({ url, socket: { reconnectStrategy: () => 50 } }),
    ready: (client) => client.connect(),
    usable: (client) => client.isReady,
    raw: (client, args) => client.sendCommand(args),
    subscribe: (client, channel, onMessage) => client.subscribe(channel, (message) => onMessage(message)),
  },
  {
    name: 'ioredis 6',
    create: (url) => new Redis(url, { retryStrategy: () => 50 }),
    ready: (client) => (client.status === 'ready' ? undefined : new Promise((resolve) => client.once('ready', resolve))),
    usable: (client) => client.status === 'ready',
    raw: (client, [name, ...args]) => client.call(name, ...args),
    subscribe: (client, channel, onMessage) => {
      client.on('message', (ch, message) => ch === channel && onMessage(message));
      return client.subscribe(channel);
    },
  },
];

/** Polls an async predicate: at most `ms` and `ms / 10` tries. */
async function eventually(pred, what, ms = WAIT) {
  const deadline = Date.now() + ms;
  for (let i = 0; i < ms / 10 && Date.now() < deadline; i++) {
    if (await pred()) return;
    await sleep(10);
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** A session record as the router would save it. */
function record(node, state, overrides = {}) {
  return {
    node,
    state,
    hash: 'a'.repeat(64),
    expires: 0,
    data: { user: 'ü 😀', n: 1 },
    groups: [GROUP, 'g:b'],
    alias: 'alice',
    available: true,
    publicData: { nick: '"al"' },
    starts: { all: { e: 'abcdefgh', o: 4 } },
    code: 1001,
    reason: 'going away',
    expiry: null,
    ...overrides,
  };
}

for (const flavour of flavours) {
  describe(`RedisHistory over ${flavour.name}`, () => {
    let redis;
    const clients = [];

    before(async () => {
      redis = await startRedisServer();
    });

    after(async () => {
      for (const client of clients) {
        try {
          await within(Promise.resolve(client.disconnect()), 'disconnect', WAIT);
        } catch {
          // already closed
        }
      }
      await redis.close();
      assert.deepEqual(unhandled, [], 'no unhandled rejection');
    });

    async function connect() {
      if (!redis.running) await redis.start();
      const client = flavour.create(redis.url);
      client.on('error', () => {}); // the application's own listener
      clients.push(client);
      await within(Promise.resolve(flavour.ready(client)), `${flavour.name} client ready`, WAIT);
      return client;
    }

    let nextPrefix = 0;
    /** A store on its own client and prefix (several stores with one prefix play several nodes). */
    async function store(options = {}) {
      const client = await connect();
      const prefix = options.prefix ?? `t${nextPrefix++}:`;
      const history = new RedisHistory({ client, prefix, maxMessages: 100, maxAge: 60_000, ...options });
      return { history, client, prefix, raw: (...args) => flavour.raw(client, args) };
    }

    /** The payloads published on `channel`, as a subscriber connection receives them. */
    async function listen(channel) {
      const client = await connect();
      const got = [];
      await flavour.subscribe(client, channel, (message) => got.push(message));
      return got;
    }

    test('offsets 1..n per stream under one epoch; subscribers get head + offset + "\\n" + text in order, the texts since() gives', async () => {
      const a = await store();
      const b = await store({ prefix: a.prefix }); // another node on the same store
      const channel = `${a.prefix}c:${GROUP}`;
      const got = await listen(channel);
      const start = await a.history.position(GROUP);
      assert.equal(start.o, 0);
      assert.match(start.e, /^[A-Za-z0-9_-]{8}$/);
      // Two nodes append concurrently: the offsets stay 1..n, each once.
      const sent = [];
      for (let i = 0; i < 20; i++) {
        const text = JSON.stringify({ n: i, t: `é "q" 😀\n${i}` });
        sent.push(text);
        (i % 2 ? a : b).history.publish(GROUP, text, i % 3 ? null : `sess ${i}`, channel, 'H|');
      }
      await until(() => got.length === 20, '20 messages', WAIT);
      const entries = await a.history.since(GROUP, start);
      assert.equal(entries.length, 20);
      assert.deepEqual(entries.map((e) => e.offset), Array.from({ length: 20 }, (_, i) => i + 1));
      assert.ok(entries.every((e) => e.epoch === start.e && e.stream === GROUP && Number.isSafeInteger(e.time) && e.time > 0));
      assert.deepEqual(got, entries.map((e) => `H|${e.offset}\n${e.text}`), 'published in offset order, with the stored text');
      // One sequence over every stream: an append to another stream in between takes the next number.
      assert.ok(entries.every((e, i) => i === 0 || e.seq === entries[i - 1].seq + 1), 'consecutive sequence numbers');
      await a.history.publish('other', '{"z":1}', null, channel, 'H|');
      await a.history.publish(GROUP, '{"z":2}', null, channel, 'H|');
      const [last] = await a.history.since(GROUP, { e: start.e, o: 20 });
      assert.equal(last.seq, entries[19].seq + 2, 'the other stream took the number between');
      for (const entry of entries) {
        const parsed = JSON.parse(entry.text);
        assert.deepEqual(parsed.pos, { s: GROUP, e: start.e, o: entry.offset });
        const { pos, ...rest } = parsed;
        assert.ok(sent.includes(JSON.stringify(rest)), 'the text is kept as it was, pos last');
        assert.equal(entry.except, parsed.n % 3 ? null : `sess ${parsed.n}`);
      }
      assert.deepEqual(await b.history.position(GROUP), { e: start.e, o: 21 });
      // Another stream numbers from 1 on its own epoch.
      assert.equal(await a.history.publish('all', '{"x":1}', null, channel, 'H|'), true);
      const all = await a.history.position('all');
      assert.equal(all.o, 1);
      assert.notEqual(all.e, start.e);
      assert.equal(a.history.stats.failures + b.history.stats.failures, 0);
    });

    test('appends issued without waiting keep their order, also right after the script cache was flushed', async () => {
      const { history, raw } = await store();
      await raw('SCRIPT', 'FLUSH');
      const stream = 'ordered';
      const calls = [];
      for (let i = 1; i <= 20; i++) calls.push(history.publish(stream, `{"n":${i}}`, null, 'nowhere', ''));
      for (let i = 21; i <= 25; i++) calls.push(history.appendOwned(stream, `{"n":${i}}`, 'nobody', 'node'));
      await Promise.all(calls);
      const entries = await history.since(stream, { e: (await history.position(stream)).e, o: 0 });
      assert.deepEqual(entries.map((e) => JSON.parse(e.text).n), Array.from({ length: 20 }, (_, i) => i + 1), 'offset order is call order');
    });

    test('since(): same position [], another epoch, ahead or malformed null', async () => {
      const { history } = await store();
      for (let i = 0; i < 3; i++) assert.equal(await history.publish('all', `{"i":${i}}`, null, 'x', ''), true);
      const pos = await history.position('all');
      assert.deepEqual(await history.since('all', pos), []);
      assert.deepEqual((await history.since('all', { e: pos.e, o: 1 })).map((e) => e.offset), [2, 3]);
      assert.equal(await history.since('all', { e: 'otherEpc', o: 1 }), null);
      assert.equal(await history.since('all', { e: pos.e, o: 4 }), null);
      assert.equal(await history.since('all', { e: pos.e, o: -1 }), null);
      assert.equal(await history.since('all', { e: pos.e, o: 1.5 }), null);
      assert.equal(await history.since('nothing here', { e: pos.e, o: 0 }), null);
      assert.equal(history.stats.failures, 0);
    });

    test('since(): null once entries were trimmed by maxMessages', async () => {
      const { history } = await store({ maxMessages: 3 });
      const start = await history.position('all');
      for (let i = 0; i < 5; i++) await history.publish('all', `{"i":${i}}`, null, 'x', '');
      assert.equal(await history.since('all', start), null, 'entries 1 and 2 are gone');
      assert.equal(await history.since('all', { e: start.e, o: 1 }), null, 'entry 2 is gone');
      assert.deepEqual((await history.since('all', { e: start.e, o: 2 })).map((e) => e.offset), [3, 4, 5]);
    });

    test('since(): null once entries are past maxAge, the epoch and offset stay', async () => {
      const { history, raw, prefix } = await store({ maxAge: 150 });
      const start = await history.position('all');
      await history.publish('all', '{"a":1}', null, 'x', '');
      assert.equal((await history.since('all', start)).length, 1);
      await eventually(async () => (await history.since('all', start)) === null, 'the entry to age out');
      assert.deepEqual(await history.since('all', { e: start.e, o: 1 }), [], 'the position itself is still valid');
      await history.publish('all', '{"a":2}', null, 'x', '');
      assert.deepEqual((await history.since('all', { e: start.e, o: 1 })).map((e) => e.offset), [2]);
      assert.deepEqual(await history.position('all'), { e: start.e, o: 2 });
      // The aged entry left the stream on that append (not only since()'s view).
      assert.equal(Number(await raw('XLEN', `${prefix}h:all`)), 1);
    });

    test('since(): an entry past maxAge counts as gone while its stream lives; the next append removes it', async () => {
      const { history, raw, prefix } = await store({ maxAge: 60_000 });
      const start = await history.position('all');
      // An entry appended two maxAges ago (its id is its append time), as
      // Redis would hold it had the stream been kept alive since.
      const old = Date.now() - 120_000;
      await raw('XADD', `${prefix}h:all`, `${old}-0`, 'o', '1', 't', `{"a":1,"pos":{"s":"all","e":"${start.e}","o":1}}`);
      await raw('HSET', `${prefix}m:all`, 'o', '1');
      assert.equal(await history.since('all', start), null);
      assert.deepEqual(await history.since('all', { e: start.e, o: 1 }), []);
      assert.equal(await history.publish('all', '{"a":2}', null, 'x', ''), true);
      assert.equal(Number(await raw('XLEN', `${prefix}h:all`)), 1, 'the old entry left');
      const [entry] = await history.since('all', { e: start.e, o: 1 });
      assert.equal(entry.offset, 2);
      assert.ok(entry.time > old);
      assert.equal(history.stats.failures, 0);
    });

    test('the epoch lives as long as the meta; a FLUSHALL (history lost) gives a new epoch', async () => {
      const { history, raw, prefix } = await store({ metaTtl: 60_000 });
      await history.publish('all', '{"a":1}', null, 'x', '');
      const before = await history.position('all');
      const ttl = Number(await raw('PTTL', `${prefix}m:all`));
      assert.ok(ttl > 1000 && ttl <= 60_000, `meta TTL ${ttl}`);
      const streamTtl = Number(await raw('PTTL', `${prefix}h:all`));
      assert.ok(streamTtl > 0 && streamTtl <= 60_000, `stream TTL ${streamTtl}`);
      // A meta TTL below maxAge is raised to it: the entries stay readable.
      const short = new RedisHistory({ client: (await store()).client, prefix, maxMessages: 100, maxAge: 60_000, metaTtl: 10 });
      assert.deepEqual(await short.position('all'), before);
      assert.ok(Number(await raw('PTTL', `${prefix}m:all`)) > 1000, 'meta TTL at least maxAge');
      const again = new RedisHistory({ client: (await store()).client, prefix, maxMessages: 100, maxAge: 60_000 });
      assert.deepEqual(await again.position('all'), before, 'another node reads the same position');
      await raw('FLUSHALL');
      const after = await history.position('all');
      assert.equal(after.o, 0);
      assert.notEqual(after.e, before.e);
      assert.equal(await history.since('all', before), null);
      assert.deepEqual(await history.since('all', after), []);
      // Scripts flushed too: EVALSHA answers NOSCRIPT, the body is sent.
      await raw('SCRIPT', 'FLUSH');
      assert.equal(await history.publish('all', '{"a":2}', null, 'x', ''), true);
      assert.deepEqual(await history.position('all'), { e: after.e, o: 1 });
      assert.equal(history.stats.failures, 0);
    });

    test('save / claim / appendOwned / finish: only the holder appends and finishes', async () => {
      const { history, raw, prefix } = await store();
      const id = 'sess:1 😀';
      const own = `u:${id}`;
      assert.equal(await history.appendOwned(own, '{"p":0}', id, 'n1'), null, 'no record: refused');
      assert.equal(await history.save(id, record('n1', 'live'), 60_000), true);
      const first = await history.appendOwned(own, '{"p":1}', id, 'n1');
      assert.equal(first.offset, 1);
      assert.deepEqual(JSON.parse(first.text), { p: 1, pos: { s: own, e: first.epoch, o: 1 } });
      assert.equal(await history.appendOwned(own, '{"p":2}', id, 'n2'), null, 'another node: refused');
      assert.equal((await history.appendOwned(own, '{"p":3}', id, 'n1')).offset, 2);
      assert.deepEqual((await history.since(own, { e: first.epoch, o: 0 })).map((e) => e.text), [first.text, JSON.stringify({ p: 3, pos: { s: own, e: first.epoch, o: 2 } })]);

      // Retained, then resumed on n2.
      const now = Date.now();
      const saved = record('n1', 'retained', { expires: now + 60_000 });
      assert.equal(await history.save(id, saved, 60_000), true);
      assert.equal(await history.claim(id, 'b'.repeat(64), 'n2', now), null, 'wrong hash');
      assert.equal(await history.claim(id, saved.hash, 'n2', now + 60_000), null, 'expired retained');
      assert.deepEqual(await history.claim(id, saved.hash, 'n2', now), saved, 'the record as it was');
      assert.equal(await history.appendOwned(own, '{"p":4}', id, 'n1'), null, 'the old holder no longer appends');
      assert.equal((await history.appendOwned(own, '{"p":5}', id, 'n2')).offset, 3);
      const claimed = await history.claim(id, saved.hash, 'n3', now + 120_000);
      assert.equal(claimed.node, 'n2', 'a claimed record is no longer subject to the retained expiry');
      assert.equal(claimed.state, 'claimed');

      assert.equal(await history.finish(id, 'n2'), false, 'n3 holds it now');
      assert.equal(await history.finish(id, 'n3'), true);
      assert.equal(await history.finish(id, 'n3'), false, 'gone');
      assert.equal(await history.claim(id, saved.hash, 'n3', now), null);
      assert.equal(Number(await raw('EXISTS', `${prefix}s:${id}`, `${prefix}h:${own}`, `${prefix}m:${own}`)), 0, 'record, stream and meta deleted');
      assert.equal(history.stats.failures, 0);
    });

    test('save lapses after its ttl; touch extends it; an unserializable record is refused', async () => {
      const { history, raw, prefix } = await store();
      assert.equal(await history.save('s1', record('n1', 'live'), 200), true);
      assert.equal(await history.save('s2', record('n1', 'live'), 200), true);
      history.touch(['s1', 'nobody'], 60_000);
      await eventually(async () => Number(await raw('PTTL', `${prefix}s:s1`)) > 1000, 'touch to extend s1');
      await eventually(async () => Number(await raw('EXISTS', `${prefix}s:s2`)) === 0, 's2 to lapse');
      assert.equal((await history.claim('s1', 'a'.repeat(64), 'n2', Date.now())).node, 'n1');
      assert.equal(await history.claim('s2', 'a'.repeat(64), 'n2', Date.now()), null);
      const cyclic = record('n1', 'live');
      cyclic.data = { big: 1n };
      assert.equal(await history.save('s3', cyclic, 1000), false);
      assert.equal(history.stats.failures, 1);
    });

    test('the constructor refuses bad options and a client in subscriber mode', async () => {
      const client = await connect();
      assert.throws(() => new RedisHistory({ client, prefix: 'p:', maxMessages: 0, maxAge: 1000 }), /maxMessages/);
      assert.throws(() => new RedisHistory({ client, prefix: 1, maxMessages: 1, maxAge: 1000 }), /prefix/);
      assert.throws(() => new RedisHistory({ client: {}, prefix: 'p:', maxMessages: 1, maxAge: 1000 }), /RedisHistory/);
      const sub = await connect();
      await flavour.subscribe(sub, 'any', () => {});
      assert.throws(() => new RedisHistory({ client: sub, prefix: 'p:', maxMessages: 1, maxAge: 1000 }), /subscriber mode/);
    });

    test('Redis stopped: every method resolves its "could not" value and counts a failure; restarted: works again', async () => {
      const { history, client } = await store();
      await history.publish('all', '{"a":1}', null, 'x', '');
      const pos = await history.position('all');
      await redis.stop();
      await until(() => !flavour.usable(client), 'the client to notice', WAIT);
      const results = await within(
        Promise.all([
          history.publish('all', '{"a":2}', null, 'x', ''),
          history.appendOwned('u:s', '{"a":2}', 's', 'n1'),
          history.position('all'),
          history.since('all', pos),
          history.save('s', record('n1', 'live'), 1000),
          history.claim('s', 'h', 'n1', Date.now()),
          history.finish('s', 'n1'),
        ]),
        'every method to resolve',
        WAIT,
      );
      assert.deepEqual(results, [false, null, { e: '', o: 0 }, null, false, null, false]);
      assert.doesNotThrow(() => history.touch(['s'], 1000));
      assert.equal(history.stats.failures, 8);

      await redis.start();
      await until(() => flavour.usable(client), 'the client to reconnect', WAIT);
      // No persistence: the history is gone, a new epoch starts.
      assert.equal(await history.publish('all', '{"a":3}', null, 'x', ''), true);
      const fresh = await history.position('all');
      assert.equal(fresh.o, 1);
      assert.notEqual(fresh.e, pos.e);
      assert.equal(await history.since('all', pos), null);
      assert.equal(history.stats.failures, 8);
    });
  });
}
