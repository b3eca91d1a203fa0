// What gets measured. Adding a target is a few lines here (plus, for a new
// server, one file in bench/servers/ exporting start({ host, port }) ->
// { port, count(), modes: { name(msg) }, close(), payloadLength?(mode, size) };
// for in-process scenarios, one file in bench/micro/). For example, a router
// broadcast target is a bench/servers/ours-router.mjs whose mode calls
// `broadcast(...)`, plus one line in FANOUT_TARGETS:
//   { id: 'ours-router', label: 'ours: router broadcast', server: 'ours-router', mode: 'broadcast' },
// payloadLength() tells the clients the size to expect when the server wraps
// messages in an envelope (-1: do not check sizes).
//
// `baseline: true` marks the column every ratio is computed against.

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
];

/**
 * Fan-out: a server plus one of its broadcast `modes`. Targets sharing a
 * server run in the same server process, one after the other (order rotated
 * per round), over the same connections.
 */
export const FANOUT_TARGETS = [
  { id: 'ours-loop', label: 'ours: clients loop', server: 'ours', mode: 'loop' },
  { id: 'ours-prepared', label: 'ours: prepareFrame', server: 'ours', mode: 'prepared' },
  { id: 'ws', label: 'ws: clients loop', server: 'ws', mode: 'loop', baseline: true },
  { id: 'raw', label: 'raw floor', server: 'raw', mode: 'raw' },
];
