// Target of the scale-out scenario (bench/lib/scale.mjs): ws-node-server's
// application server (WebSocketNodeServer) as one node of a deployment. The
// same code runs in every topology; only the adapter differs:
//   adapter 'none'     the in-process default: one process holds everything
//   adapter 'cluster'  createClusterAdapter(), in a node:cluster worker
//   adapter 'redis'    createRedisAdapter() over two connected clients of
//                      the `redis` package (dev dependency), at `redisUrl`
// `recovery: true` turns session recovery on (history in memory, or in
// Redis Streams with the Redis adapter).
// The server is attached to its own http server, which listens with
// `exclusive: true`: in a cluster worker that gives each worker a port of its
// own instead of node:cluster's shared one, so the benchmark decides which
// node each client connects to (an even split, checked through the nodes'
// session counts). Outside a cluster the flag changes nothing.
//
// Clients are the same as the router target's (bench/servers/ours-router.mjs):
// subprotocol ws-node-server.v1, one `auth` message. Fan-out clients get a
// session that is unavailable and without an alias (no presence traffic);
// the private-message clients authenticate with an `alias` and are visible,
// as a sender and an addressee by alias must be. The inbound rate limit is
// off: the latency clients send thousands of messages in a row.
import { createServer } from 'node:http';
import { oursEntry, oursAvailable } from '../lib/ours-entry.mjs';

export const label = 'ours: router node';

export const available = oursAvailable;

const EVENT = 'bench';

/** What the load generator must do before a fan-out connection counts (see lib/loadgen.mjs). */
export const client = {
  protocol: 'ws-node-server.v1',
  auth: {
    member: JSON.stringify({ type: 'auth', id: 1, credentials: { user: 'bench' } }),
    other: JSON.stringify({ type: 'auth', id: 1, credentials: { user: 'bench' } }),
    ok: '{"type":"reply","id":1,',
  },
};

async function createAdapter({ adapter, redisUrl, prefix }) {
  if (adapter === 'none') return { adapter: null, close: async () => {} };
  if (adapter === 'cluster') {
    const { createClusterAdapter } = await import(new URL('./cluster.js', oursEntry));
    return { adapter: createClusterAdapter(), close: async () => {} };
  }
  if (adapter === 'redis') {
    const { createRedisAdapter } = await import(new URL('./redis.js', oursEntry));
    const { createClient } = await import('redis');
    // Bounded: a Redis out of reach fails the start instead of retrying forever.
    const publisher = createClient({ url: redisUrl, socket: { connectTimeout: 5000, reconnectStrategy: false } });
    publisher.on('error', () => {});
    await publisher.connect();
    const subscriber = publisher.duplicate();
    subscriber.on('error', () => {});
    await subscriber.connect();
    const close = async () => {
      await Promise.allSettled([publisher.quit(), subscriber.quit()]);
    };
    return { adapter: createRedisAdapter({ publisher, subscriber, prefix }), close };
  }
  throw new Error(`unknown adapter ${adapter}`);
}

export async function start({ host, port, adapter = 'none', redisUrl, prefix, recovery = false }) {
  const { WebSocketNodeServer } = await import(oursEntry);
  const made = await createAdapter({ adapter, redisUrl, prefix });
  const http = createServer();
  const server = new WebSocketNodeServer(http, {
    // The load generator answers no pings; measurements are short anyway.
    heartbeatInterval: 0,
    rateLimit: false,
    adapter: made.adapter,
    // With the Redis adapter, the history lives in Redis Streams.
    recovery,
  });
  server.onAuthentication((credentials, startSession, respond) => {
    const alias = typeof credentials.alias === 'string' ? credentials.alias : null;
    startSession({ user: credentials.user }, [], alias, alias !== null);
    respond(null, null);
  });
  server.on('error', () => {});
  await server.listen();
  await new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen({ host, port, exclusive: true }, () => {
      http.off('error', reject);
      resolve();
    });
  });
  return {
    port: http.address().port,
    count: () => server.sessionCount,
    modes: {
      broadcast(msg) {
        server.broadcast(EVENT, msg);
      },
    },
    // Every client receives the envelope, not the bare message.
    payloadLength(mode, size, binary) {
      if (binary) return -1; // a Buffer travels as JSON, not byte for byte
      // With recovery, each message also carries its stream position, whose length grows with the offset.
      if (recovery) return -1;
      const data = 'x'.repeat(size); // the bench's messages are ASCII: no escapes
      return Buffer.byteLength(JSON.stringify({ type: 'event', event: EVENT, group: null, data }));
    },
    async close() {
      await server.close();
      await new Promise((resolve) => http.close(() => resolve()));
      await made.close();
    },
  };
}
