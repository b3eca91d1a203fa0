// Target: ws-node-server's application server (WebSocketNodeServer), from the
// built dist/. Clients speak the ws-node-server.v1 subprotocol and
// authenticate first; the group is assigned at authentication from the
// credentials. Broadcasts go through the router's own
// `broadcast(event, group | null, data)`, which wraps each message in the
// protocol's JSON envelope:
//   {"type":"event","event":"bench","group":null,"data":"<message>"}
import { oursEntry, oursAvailable } from '../lib/ours-entry.mjs';

export const label = 'ours: router';

export const available = oursAvailable;

const EVENT = 'bench';
const GROUP = 'g';

/** What the load generator must do before a connection counts (see lib/loadgen.mjs). */
export const client = {
  protocol: 'ws-node-server.v1',
  auth: {
    member: JSON.stringify({ type: 'auth', id: 1, credentials: { user: 'bench', group: GROUP } }),
    other: JSON.stringify({ type: 'auth', id: 1, credentials: { user: 'bench' } }),
    ok: '{"type":"reply","id":1,',
  },
};

export async function start({ host, port }, serverOptions = {}) {
  const { WebSocketNodeServer } = await import(oursEntry);
  const server = new WebSocketNodeServer({
    host,
    port,
    // The load generator answers no pings; measurements are short anyway.
    heartbeatInterval: 0,
    ...serverOptions,
  });
  server.onAuthentication((credentials, startSession, respond) => {
    // Sessions start unavailable and without an alias, so authenticating N
    // clients does not announce each of them to all the others (presence):
    // only the broadcasts below are on the wire.
    startSession({ user: credentials.user }, credentials.group ? [credentials.group] : [], null, false);
    respond(null, null);
  });
  server.on('error', () => {});
  const { port: bound } = await server.listen();
  return {
    port: bound,
    count: () => server.sessionCount,
    groupCount: () => server.groupSize(GROUP),
    modes: {
      broadcast(msg) {
        server.broadcast(EVENT, msg);
      },
      broadcastGroup(msg) {
        server.broadcast(EVENT, msg, { group: GROUP });
      },
    },
    // Every client receives the envelope, not the bare message.
    payloadLength(mode, size, binary) {
      if (binary) return -1; // a Buffer travels as JSON, not byte for byte
      // With recovery, each message also carries its stream position, whose length grows with the offset.
      if (serverOptions.recovery) return -1;
      const data = 'x'.repeat(size); // the bench's messages are ASCII: no escapes
      return Buffer.byteLength(JSON.stringify({ type: 'event', event: EVENT, group: mode === 'broadcastGroup' ? GROUP : null, data }));
    },
    close: () => server.close(),
  };
}
