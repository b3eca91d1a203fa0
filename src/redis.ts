// `ws-node-server/redis`: one server in several processes or machines that
// share a Redis (docs/scaling.md). The application owns the two connected
// clients (node-redis v4 and later, or ioredis): one publishes, the other
// only subscribes. The library imports neither package, so it keeps zero
// runtime dependencies.

import type { Adapter } from './router/adapter.js';
import { RemoteAdapter, type RemoteAdapterOptions } from './scale/adapter.js';
import { RedisBus, type RedisBusOptions } from './scale/redis-bus.js';

export { REMOTE_DEFAULTS, type RemoteAdapterOptions } from './scale/adapter.js';
export { DEFAULT_REDIS_PREFIX, type RedisBusOptions, type RedisClientLike, type NodeRedisClientLike, type IoRedisClientLike } from './scale/redis-bus.js';

export type RedisAdapterOptions = RedisBusOptions & RemoteAdapterOptions;

/**
 * The adapter of one server (one adapter per server): `publisher` and
 * `subscriber` are two connected clients (`subscriber` can be
 * `publisher.duplicate()`, connected); `prefix` (default 'wsns:') starts
 * every channel name, so several deployments can share one Redis.
 */
export function createRedisAdapter(options: RedisAdapterOptions): Adapter {
  if (options === null || typeof options !== 'object') throw new TypeError('createRedisAdapter() takes { publisher, subscriber, prefix? }');
  const { publisher, subscriber, prefix, ...timing } = options;
  return new RemoteAdapter('redis', new RedisBus({ publisher, subscriber, prefix }), timing);
}
