// RedisBus against a real redis-server, with each client library it
// accepts: node-redis 6 (`redis`), node-redis 4 (`redis4`) and ioredis 6.
// Each flavour gets its own server; the outage tests stop it and start it
// again on the same port. "Nothing arrived" is never waited for by time: a
// sentinel published after the messages in question, on the same
// connection, arrives after them, so once it is in, they would be too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { createClient as createClient6 } from 'redis';
import { createClient as createClient4 } from 'redis4';
import { Redis } from 'ioredis';
import { RedisBus } from '../../dist/esm/scale/redis-bus.js';
import { startRedisServer } from '../helpers/redis-server.mjs';
import { sleep, until, within } from '../helpers/wait.mjs';

const WAIT = 8000;
const EVENTS = ['error', 'ready', 'end', 'close', 'reconnecting', 'connect', 'message'];

const unhandled = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));

/** One RESP command on a fresh connection; resolves with the raw reply text. */
function rawCommand(port, ...args) {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const parts = [`*${args.length}\r\n`];
    for (const arg of args) parts.push(`$${Buffer.byteLength(arg)}\r\n${arg}\r\n`);
    let reply = '';
    socket.setTimeout(2000, () => socket.destroy(new Error('no reply')));
    socket.on('error', reject);
    socket.on('connect', () => socket.write(parts.join('')));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      // NUMSUB's reply ends with the count, an integer line.
      if (/:\d+\r\n$/.test(reply)) {
        socket.end();
        resolve(reply);
      }
    });
  });
}

/** How many connections subscribe `channel` (a full Redis channel name). */
async function numsub(port, channel) {
  const reply = await rawCommand(port, 'PUBSUB', 'NUMSUB', channel);
  return Number(/:(\d+)\r\n$/.exec(reply)[1]);
}

/** Polls NUMSUB until it reads `count`: at most WAIT ms and WAIT / 10 queries. */
async function waitNumsub(port, channel, count) {
  const deadline = Date.now() + WAIT;
  let seen;
  for (let i = 0; i < WAIT / 10 && Date.now() < deadline; i++) {
    seen = await numsub(port, channel);
    if (seen === count) return;
    await sleep(10);
  }
  assert.fail(`NUMSUB ${channel} stayed ${seen}, expected ${count}`);
}

/** The events a bus reported, and waits on them. */
function recorder() {
  const rec = {
    messages: [],
    downs: [],
    ups: 0,
    events: {
      message: (channel, payload) => rec.messages.push({ channel, payload }),
      down: (error) => rec.downs.push(error),
      up: () => rec.ups++,
    },
    on(channel) {
      return rec.messages.filter((m) => m.channel === channel).map((m) => m.payload);
    },
    waitFor(channel, payload) {
      return until(() => rec.messages.some((m) => m.channel === channel && m.payload === payload), `'${payload}' on '${channel}'`, WAIT);
    },
  };
  return rec;
}

const flavours = [
  {
    name: 'node-redis 6',
    create: (url) => createClient6({ url, socket: { reconnectStrategy: () => 50 } }),
    ready: (client) => client.connect(),
    usable: (client) => client.isReady,
  },
  {
    name: 'node-redis 4',
    create: (url) => createClient4({ url, socket: { reconnectStrategy: () => 50 } }),
    ready: (client) => client.connect(),
    usable: (client) => client.isReady,
  },
  {
    name: 'ioredis 6',
    create: (url, options = {}) => new Redis(url, { retryStrategy: () => 50, ...options }),
    ready: (client) => (client.status === 'ready' ? undefined : new Promise((resolve) => client.once('ready', resolve))),
    usable: (client) => client.status === 'ready',
  },
];

for (const flavour of flavours) {
  describe(`RedisBus over ${flavour.name}`, () => {
    let redis;
    const clients = [];
    const buses = [];

    before(async () => {
      redis = await startRedisServer();
    });

    after(async () => {
      for (const bus of buses) await bus.close();
      for (const client of clients) {
        try {
          await within(Promise.resolve(client.disconnect()), 'disconnect', WAIT);
        } catch {
          // already closed by its test
        }
      }
      await redis.close();
    });

    /** A connected client of this flavour, disconnected in after(). */
    async function connect(options) {
      // A failed outage test may leave Redis stopped: the next test starts
      // it again, and a client that cannot connect fails in bounded time.
      if (!redis.running) await redis.start();
      const client = flavour.create(redis.url, options);
      client.on('error', () => {}); // the application's own listener
      clients.push(client);
      await within(Promise.resolve(flavour.ready(client)), `${flavour.name} client ready`, WAIT);
      return client;
    }

    async function pair() {
      return { publisher: await connect(), subscriber: await connect() };
    }

    /** A started bus on its own pair of clients. */
    async function bus(options = {}, nodeId = 'node') {
      const { publisher, subscriber } = await pair();
      const b = new RedisBus({ publisher, subscriber, ...options });
      buses.push(b);
      const rec = recorder();
      await within(b.start(nodeId, rec.events), 'start()', WAIT);
      return { bus: b, rec, publisher, subscriber };
    }

    test('a unicode / colon / space channel name and a 1 MiB payload cross intact', async () => {
      const a = await bus({}, 'a');
      const b = await bus({}, 'b');
      assert.equal(a.bus.connected, true);
      const channel = 'g:Salle à manger: 日本語 🎉 a:b c';
      a.bus.subscribe(channel);
      a.bus.subscribe(channel); // idempotent
      assert.equal(a.bus.stats.channels, 1);
      await waitNumsub(redis.port, `wsns:${channel}`, 1);
      const unit = '{"ü":"€ 😀 \\"q\\"",';
      const payload = unit.repeat(Math.ceil((1 << 20) / unit.length)).slice(0, 1 << 20);
      assert.equal(payload.length, 1 << 20);
      b.bus.publish(channel, payload);
      await a.rec.waitFor(channel, payload);
      assert.equal(a.rec.on(channel).length, 1);
      assert.equal(a.bus.stats.received, 1);
      await until(() => b.bus.stats.published === 1, 'published count', WAIT);
      assert.equal(b.bus.stats.publishFailures, 0);
    });

    test('routing by interest: a bus hears only channels it subscribes, and nothing after unsubscribe', async () => {
      const member = await bus({ prefix: 'route:' });
      const other = await bus({ prefix: 'route:' });
      const sender = await bus({ prefix: 'route:' });
      member.bus.subscribe('g:room');
      member.bus.subscribe('sentinel');
      other.bus.subscribe('sentinel');
      await waitNumsub(redis.port, 'route:g:room', 1);
      await waitNumsub(redis.port, 'route:sentinel', 2);
      for (let i = 0; i < 5; i++) sender.bus.publish('g:room', `m${i}`);
      sender.bus.publish('sentinel', 'one');
      await member.rec.waitFor('sentinel', 'one');
      await other.rec.waitFor('sentinel', 'one');
      assert.deepEqual(member.rec.on('g:room'), ['m0', 'm1', 'm2', 'm3', 'm4']);
      assert.deepEqual(other.rec.on('g:room'), [], 'a bus not subscribed to a channel gets none of it');
      assert.equal(other.bus.stats.received, 1);

      member.bus.unsubscribe('g:room');
      member.bus.unsubscribe('g:room'); // idempotent
      assert.equal(member.bus.stats.channels, 1);
      await waitNumsub(redis.port, 'route:g:room', 0);
      for (let i = 5; i < 8; i++) sender.bus.publish('g:room', `m${i}`);
      sender.bus.publish('sentinel', 'two');
      await member.rec.waitFor('sentinel', 'two');
      assert.deepEqual(member.rec.on('g:room'), ['m0', 'm1', 'm2', 'm3', 'm4'], 'nothing after unsubscribe');
    });

    test('subscribe, unsubscribe, subscribe in a row ends subscribed; the reverse ends unsubscribed', async () => {
      const a = await bus({ prefix: 'flip:' });
      a.bus.subscribe('x');
      a.bus.unsubscribe('x');
      a.bus.subscribe('x');
      a.bus.subscribe('y');
      a.bus.unsubscribe('y');
      a.bus.subscribe('sentinel');
      await waitNumsub(redis.port, 'flip:sentinel', 1);
      await waitNumsub(redis.port, 'flip:x', 1);
      await waitNumsub(redis.port, 'flip:y', 0);
      assert.equal(a.bus.stats.channels, 2);
    });

    test('prefix isolation: buses with different prefixes do not hear each other', async () => {
      const one = await bus({ prefix: 'one:' });
      const two = await bus({ prefix: 'two:' });
      const plain = await bus();
      one.bus.subscribe('all');
      two.bus.subscribe('all');
      plain.bus.subscribe('all');
      await waitNumsub(redis.port, 'one:all', 1);
      await waitNumsub(redis.port, 'two:all', 1);
      await waitNumsub(redis.port, 'wsns:all', 1); // the default prefix
      two.bus.publish('all', 'from-two');
      // The sentinel leaves on two's publisher connection after 'from-two'.
      await two.publisher.publish('one:all', 'sentinel');
      one.bus.publish('all', 'from-one');
      await one.rec.waitFor('all', 'sentinel');
      await one.rec.waitFor('all', 'from-one');
      await two.rec.waitFor('all', 'from-two');
      assert.deepEqual(one.rec.on('all').filter((p) => p !== 'sentinel'), ['from-one']);
      await one.publisher.publish('two:all', 'sentinel');
      await two.rec.waitFor('all', 'sentinel');
      assert.deepEqual(two.rec.on('all').filter((p) => p !== 'sentinel'), ['from-two']);
      await plain.publisher.publish('wsns:all', 'sentinel');
      await plain.rec.waitFor('all', 'sentinel');
      assert.deepEqual(plain.rec.on('all'), ['sentinel']);
    });

    test('1000 publishes arrive in publish order', async () => {
      const sender = await bus({ prefix: 'order:' });
      const receiver = await bus({ prefix: 'order:' });
      receiver.bus.subscribe('n:receiver');
      await waitNumsub(redis.port, 'order:n:receiver', 1);
      const sent = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ seq: i }));
      for (const payload of sent) sender.bus.publish('n:receiver', payload);
      await until(() => receiver.rec.messages.length >= 1000, '1000 messages', WAIT);
      assert.deepEqual(receiver.rec.on('n:receiver'), sent);
      await until(() => sender.bus.stats.published === 1000, '1000 published', WAIT);
      assert.equal(receiver.bus.stats.received, 1000);
    });

    test('construction rejects what is not a pair of usable clients with a TypeError', async () => {
      const { publisher, subscriber } = await pair();
      assert.throws(() => new RedisBus({ publisher: {}, subscriber }), TypeError);
      assert.throws(() => new RedisBus({ publisher, subscriber: null }), TypeError);
      assert.throws(() => new RedisBus({ publisher, subscriber: { publish() {}, on() {} } }), TypeError);
      assert.throws(() => new RedisBus(), TypeError);
      assert.throws(() => new RedisBus({ publisher, subscriber: publisher }), /two connections/);
      assert.throws(() => new RedisBus({ publisher, subscriber, prefix: 42 }), TypeError);
      // A publisher in subscriber mode cannot publish over RESP2.
      const busy = await connect();
      if (flavour.name.startsWith('ioredis')) await busy.subscribe('app-channel');
      else await busy.subscribe('app-channel', () => {});
      assert.throws(() => new RedisBus({ publisher: busy, subscriber }), /subscriber mode/);
      // A closed client.
      const closed = await connect();
      await closed.disconnect();
      if (flavour.name.startsWith('ioredis')) await until(() => closed.status === 'end', "ioredis 'end'", WAIT);
      assert.throws(() => new RedisBus({ publisher: closed, subscriber }), TypeError);
    });

    test('close() unsubscribes, removes every listener it added and leaves the clients open and usable', async () => {
      const { publisher, subscriber } = await pair();
      const counts = (client) => EVENTS.map((event) => client.listenerCount(event));
      const pubBefore = counts(publisher);
      const subBefore = counts(subscriber);
      const b = new RedisBus({ publisher, subscriber, prefix: 'close:' });
      const rec = recorder();
      await within(b.start('n', rec.events), 'start()', WAIT);
      assert.ok(counts(subscriber).some((count, i) => count > subBefore[i]), 'the bus listens while it runs');
      assert.ok(publisher.listenerCount('error') > pubBefore[0], "the bus listens to the publisher's 'error'");
      b.subscribe('a');
      b.subscribe('b');
      await waitNumsub(redis.port, 'close:a', 1);
      await waitNumsub(redis.port, 'close:b', 1);
      await b.close();
      await b.close(); // idempotent
      assert.equal(b.connected, false);
      assert.deepEqual(counts(publisher), pubBefore);
      assert.deepEqual(counts(subscriber), subBefore);
      assert.equal(await numsub(redis.port, 'close:a'), 0);
      assert.equal(await numsub(redis.port, 'close:b'), 0);
      assert.ok(flavour.usable(publisher) && flavour.usable(subscriber), "the application's clients stay open");
      // Still usable by the application: a publish, and a subscription of its own.
      const heard = [];
      if (flavour.name.startsWith('ioredis')) {
        subscriber.on('message', (channel, message) => heard.push(message));
        await subscriber.subscribe('close:app');
      } else {
        await subscriber.subscribe('close:app', (message) => heard.push(message));
      }
      b.publish('a', 'after close');
      assert.equal(b.stats.publishFailures, 1, 'a publish after close() fails and is counted');
      await publisher.publish('close:a', 'not for the bus');
      await publisher.publish('close:app', 'hello');
      await until(() => heard.length === 1, "the application's own subscription", WAIT);
      assert.deepEqual(heard, ['hello']);
      assert.deepEqual(rec.messages, [], 'nothing reaches a closed bus');
      b.subscribe('late'); // after close: ignored, never throws
      assert.equal(b.stats.channels, 0);
    });

    test('Redis stopped: down() once, publishes fail without throwing; started again: up(), then each message once', async () => {
      const a = await bus({ prefix: 'outage:' }, 'a');
      const b = await bus({ prefix: 'outage:' }, 'b');
      for (const channel of ['all', 'g:x', 'g:gone', 'n:b']) b.bus.subscribe(channel);
      a.bus.subscribe('n:a');
      await waitNumsub(redis.port, 'outage:n:b', 1);
      await waitNumsub(redis.port, 'outage:g:gone', 1);
      await waitNumsub(redis.port, 'outage:n:a', 1);
      const unhandledBefore = unhandled.length;

      await redis.stop({ signal: 'SIGKILL' });
      await until(() => a.rec.downs.length === 1 && b.rec.downs.length === 1, 'down() on both buses', WAIT);
      assert.ok(a.rec.downs[0] instanceof Error);
      assert.ok(b.rec.downs[0] instanceof Error);
      assert.equal(a.bus.connected, false);
      const failuresBefore = a.bus.stats.publishFailures;
      for (let i = 0; i < 10; i++) assert.doesNotThrow(() => a.bus.publish('g:x', `lost ${i}`));
      assert.equal(a.bus.stats.publishFailures, failuresBefore + 10);
      // Interest changes during the outage take effect once Redis is back.
      b.bus.subscribe('g:late');
      b.bus.unsubscribe('g:gone');
      assert.doesNotThrow(() => b.bus.subscribe('g:late'));

      await redis.start();
      await until(() => a.rec.ups === 1 && b.rec.ups === 1, 'up() on both buses', WAIT);
      assert.equal(a.bus.connected, true);
      assert.equal(b.bus.connected, true);
      // up() means the subscriptions are in place: no wait before publishing.
      for (const channel of ['all', 'g:x', 'n:b', 'g:late', 'g:gone']) a.bus.publish(channel, `after ${channel}`);
      b.bus.publish('n:a', 'to a');
      await a.rec.waitFor('n:a', 'to a');
      a.bus.publish('n:b', 'sentinel');
      await b.rec.waitFor('n:b', 'sentinel');
      for (const channel of ['all', 'g:x', 'n:b', 'g:late']) {
        assert.deepEqual(b.rec.on(channel).filter((p) => p !== 'sentinel'), [`after ${channel}`], `exactly once on ${channel}`);
      }
      assert.deepEqual(b.rec.on('g:gone'), [], 'unsubscribed during the outage');
      await waitNumsub(redis.port, 'outage:g:gone', 0);
      assert.ok(!b.rec.messages.some((m) => m.payload.startsWith('lost')), 'nothing published during the outage arrives later');
      assert.equal(a.rec.downs.length, 1, 'down() once per outage');
      assert.equal(b.rec.downs.length, 1);
      assert.deepEqual(unhandled.slice(unhandledBefore), []);
    });

    test('a second outage, with a graceful shutdown, is reported and recovered the same way', async () => {
      const a = await bus({ prefix: 'again:' });
      const b = await bus({ prefix: 'again:' });
      b.bus.subscribe('g');
      await waitNumsub(redis.port, 'again:g', 1);
      await redis.stop();
      await until(() => a.rec.downs.length === 1 && b.rec.downs.length === 1, 'down()', WAIT);
      await redis.start();
      await until(() => a.rec.ups === 1 && b.rec.ups === 1, 'up()', WAIT);
      a.bus.publish('g', 'one');
      a.bus.publish('g', 'two');
      await b.rec.waitFor('g', 'two');
      assert.deepEqual(b.rec.on('g'), ['one', 'two']);
      assert.deepEqual(unhandled, []);
    });

    if (flavour.name.startsWith('ioredis')) {
      test('an ioredis subscriber with autoResubscribe off gets its subscriptions back from the bus', async () => {
        const publisher = await connect();
        const subscriber = await connect({ autoResubscribe: false });
        const b = new RedisBus({ publisher, subscriber, prefix: 'manual:' });
        buses.push(b);
        const rec = recorder();
        await within(b.start('n', rec.events), 'start()', WAIT);
        b.subscribe('g');
        await waitNumsub(redis.port, 'manual:g', 1);
        await redis.stop({ signal: 'SIGKILL' });
        await until(() => rec.downs.length === 1, 'down()', WAIT);
        await redis.start();
        await until(() => rec.ups === 1, 'up()', WAIT);
        assert.equal(await numsub(redis.port, 'manual:g'), 1, 'subscribed again before up()');
        await publisher.publish('manual:g', 'back');
        await rec.waitFor('g', 'back');
        assert.deepEqual(rec.on('g'), ['back']);
      });
    }
  });
}
