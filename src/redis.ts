// `ws-node-server/redis`: one server in several processes or machines that
// share a Redis (docs/scaling.md). The application owns the two connected
// clients (node-redis v4 and later, or ioredis): one publishes, the other
// only subscribes. The library imports neither package, so it keeps zero
// runtime dependencies.

import type { Adapter } from './router/adapter.js';
import { RemoteAdapter, type RemoteAdapterOptions } from './scale/adapter.js';
import { DEFAULT_REDIS_PREFIX, RedisBus, type RedisBusOptions } from './scale/redis-bus.js';
import { RedisHistory } from './scale/redis-history.js';

export { REMOTE_DEFAULTS, type RemoteAdapterOptions } from './scale/adapter.js';
export { DEFAULT_REDIS_PREFIX, type RedisBusOptions, type RedisClientLike, type NodeRedisClientLike, type IoRedisClientLike } from './scale/redis-bus.js';

export type RedisAdapterOptions = RedisBusOptions &
  RemoteAdapterOptions & {
    /**
     * With the server's `recovery` option: keep the history and the retained
     * sessions in Redis (Redis Streams and hashes, under `prefix`), so a
     * client resumes on any node and after a restart (default true). False:
     * each process keeps its own, and a session resumes only where it was.
     */
    history?: boolean;
  };

/**
 * The adapter of one server (one adapter per server): `publisher` and
 * `subscriber` are two connected clients (`subscriber` can be
 * `publisher.duplicate()`, connected); `prefix` (default 'wsns:') starts
 * every channel name, so several deployments can share one Redis.
 */
export function createRedisAdapter(options: RedisAdapterOptions): Adapter {
  if (options === null || typeof options !== 'object') throw new TypeError('createRedisAdapter() takes { publisher, subscriber, prefix? }');
  const { publisher, subscriber, prefix, history = true, ...timing } = options;
  if (typeof history !== 'boolean') throw new TypeError('createRedisAdapter(): history must be a boolean');
  const bus = new RedisBus({ publisher, subscriber, prefix });
  // Made only if the server turns recovery on, with its limits; on the publisher connection.
  const store = history ? (limits: { maxMessages: number; maxAge: number }) => new RedisHistory({ client: publisher, prefix: prefix ?? DEFAULT_REDIS_PREFIX, ...limits }) : null;
  return new RemoteAdapter('redis', bus, timing, store);
}
