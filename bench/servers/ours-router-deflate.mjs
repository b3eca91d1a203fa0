// Target: the application server with permessage-deflate on
// (`perMessageDeflate: true`, our defaults). A broadcast is compressed once
// and the same frame written to every connection (src/router/fanout.ts).
// The messages are JSON objects, broadcast as data: each client receives
// {"type":"event","event":"bench","group":null,"data":{...}}.
import { start as startRouter, client as routerClient, available } from './ours-router.mjs';
import { client as deflateClient } from './ws-deflate.mjs';

export const label = 'ours: router broadcast, perMessageDeflate: true';
export { available };
export const client = { ...routerClient, ...deflateClient };

export async function start(options) {
  const server = await startRouter(options, { perMessageDeflate: true });
  return {
    ...server,
    // The message object is built before the clock starts, as an application holds its data.
    prepareMessage: (mode, msg) => JSON.parse(msg),
    payloadLength: () => -1,
  };
}
