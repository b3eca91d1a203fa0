// RedisHistory's appends keep the order of the calls even when Redis has
// lost its script cache (a restart, SCRIPT FLUSH). Played against a scripted
// stand-in for a node-redis client whose replies the test releases one by
// one, so the interleaving that reordered appends is forced, not hoped for:
// a first call refused NOSCRIPT and retried, a second call sent behind it
// and answered after the script is cached again. Against a real Redis the
// same rule is checked in redis-history.test.mjs and end to end in
// redis-recovery.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { RedisHistory } from '../../dist/esm/scale/redis-history.js';

/** Runs commands in the order they arrive; each reply waits until release(). */
class ScriptedRedis {
  isOpen = true;
  isReady = true;
  cached = new Set();
  /** The `n` of every append that ran, in the order it ran. */
  ran = [];
  #pending = [];
  on() {}
  off() {}
  removeListener() {}
  publish() {
    return Promise.resolve(0);
  }
  subscribe() {
    return Promise.resolve();
  }
  unsubscribe() {
    return Promise.resolve();
  }
  sendCommand(args) {
    let outcome;
    if (args[0] === 'EVALSHA' && !this.cached.has(args[1])) outcome = { error: new Error('NOSCRIPT No matching script. Please use EVAL.') };
    else {
      if (args[0] === 'EVAL') this.cached.add(createHash('sha1').update(args[1]).digest('hex'));
      if (args[0] === 'EVAL' || args[0] === 'EVALSHA') {
        const text = args.find((a) => typeof a === 'string' && a.startsWith('{"n":'));
        if (text !== undefined) this.ran.push(JSON.parse(text).n);
      }
      outcome = { value: '1' };
    }
    return new Promise((resolve, reject) => this.#pending.push(() => (outcome.error ? reject(outcome.error) : resolve(outcome.value))));
  }
  /** Delivers the oldest reply not delivered yet. */
  async release() {
    this.#pending.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  get waiting() {
    return this.#pending.length;
  }
}

test('appends run in the order of the calls, even when a call sent first is refused NOSCRIPT', async () => {
  const redis = new ScriptedRedis();
  const history = new RedisHistory({ client: redis, prefix: 'o:', maxMessages: 100, maxAge: 60_000 });
  const first = history.publish('all', '{"n":1}', null, 'o:all', '');
  const second = history.publish('all', '{"n":2}', null, 'o:all', '');
  // The replies come back one at a time; a third append is made once the first is answered.
  await redis.release();
  const third = history.publish('all', '{"n":3}', null, 'o:all', '');
  for (let i = 0; i < 10 && redis.waiting > 0; i++) await redis.release();
  assert.deepEqual(await Promise.all([first, second, third]), [true, true, true]);
  assert.deepEqual(redis.ran, [1, 2, 3]);
});
