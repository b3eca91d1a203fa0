// What gets measured. Adding a target is a few lines here (plus, for a new
// server, one file in bench/servers/ exporting start({ host, port }) ->
// { port, count(), groupCount?(), modes: { name(msg) }, close(),
//   payloadLength?(mode, size, binary) }, and optionally `client`, what the
// load generator must do before a connection counts: a subprotocol to offer
// and an authentication message to send; see bench/servers/ours-router.mjs.
// For in-process scenarios, one file in bench/micro/.)
//
// payloadLength() tells the clients the size to expect when the server wraps
// messages in an envelope (-1: do not check sizes).
//
// `baseline: true` marks the column every ratio is computed against (one per
// case: ws's loop for "to all", ws's loop over its member Set for "to a group").

/** In-process scenarios (parser, encoder): adapters in bench/micro/<id>.mjs. */
export const MICRO_TARGETS = [
  { id: 'ours', label: 'ours' },
  { id: 'ws', label: 'ws', baseline: true },
];

/** Echo round trips: servers in bench/servers/<server>.mjs. */
export const ECHO_TARGETS = [
  { id: 'ours', label: 'ours', server: 'ours' },
  { id: 'ws', label: 'ws', server: 'ws', baseline: true },
  { id: 'raw', label: 'raw floor', server: 'raw' },
];

/** Upgrades/s and idle memory, measured while the fan-out connections open. */
export const CONNECTION_TARGETS = [
  { id: 'ours', label: 'ours', server: 'ours' },
  { id: 'ws', label: 'ws', server: 'ws', baseline: true },
  { id: 'raw', label: 'raw floor', server: 'raw' },
  // For information (no target): the application server, whose clients also
  // authenticate before they count, and whose memory includes the session.
  { id: 'ours-router', label: 'ours: router (upgrade + auth)', server: 'ours-router', info: true },
];

/**
 * Compression (permessage-deflate) on ours and ws, in bench/lib/deflate.mjs:
 * `fanout` targets broadcast to every connection with `mode`, `echo`
 * targets echo (their server's on('message') handler). One row of memory
 * per server.
 */
export const DEFLATE_TARGETS = [
  { id: 'ours-router-deflate', label: 'ours: router broadcast', memLabel: 'ours: router (upgrade + auth + session)', server: 'ours-router-deflate', mode: 'broadcast', fanout: true },
  { id: 'ours-deflate', label: 'ours: clients loop', memLabel: 'ours: WebSocketServer', server: 'ours-deflate', mode: 'loop', fanout: true, echo: true },
  { id: 'ws-deflate', label: 'ws: clients loop', memLabel: 'ws', server: 'ws-deflate', mode: 'loop', fanout: true, echo: true, baseline: true },
];

/**
 * Fan-out: a server plus one of its broadcast `modes`. Targets sharing a
 * server run in the same server process, one after the other (order rotated
 * per round), over the same connections. `group: true` targets send to the
 * members of a group holding 10% of the connections; the others to all.
 */
export const FANOUT_TARGETS = [
  // to every connection
  { id: 'ours-router', label: 'ours: router broadcast(e, null, d)', server: 'ours-router', mode: 'broadcast' },
  { id: 'ours-router-recovery', label: 'ours: router broadcast, recovery on', server: 'ours-router-recovery', mode: 'broadcast' },
  { id: 'ours-loop', label: 'ours: clients loop', server: 'ours', mode: 'loop' },
  { id: 'ours-prepared', label: 'ours: prepareFrame + sendPrepared', server: 'ours', mode: 'prepared' },
  { id: 'ws', label: 'ws: clients loop', server: 'ws', mode: 'loop', baseline: true },
  { id: 'raw', label: 'raw floor', server: 'raw', mode: 'raw' },
  // to a group holding 10% of the connections
  { id: 'ours-router-group', label: 'ours: router broadcast(e, group, d)', server: 'ours-router', mode: 'broadcastGroup', group: true },
  { id: 'ours-router-recovery-group', label: 'ours: router broadcast to group, recovery on', server: 'ours-router-recovery', mode: 'broadcastGroup', group: true },
  { id: 'ours-loop-group', label: 'ours: loop over member Set', server: 'ours', mode: 'loopGroup', group: true },
  { id: 'ws-group', label: 'ws: loop over member Set', server: 'ws', mode: 'loopGroup', group: true, baseline: true },
  { id: 'raw-group', label: 'raw floor: member Set', server: 'raw', mode: 'rawGroup', group: true },
];
