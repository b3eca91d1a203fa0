// Records a client's state events, for tests of the client's state machine.

/** Records a client's state events. */
export function recordStates(client) {
  const states = [];
  client.onState((e) => states.push(e));
  return states;
}
