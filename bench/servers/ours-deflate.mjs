// Target: ws-node-server's low-level, ws-compatible WebSocketServer with
// permessage-deflate on (`perMessageDeflate: true`, our defaults: no context
// takeover on either side, threshold 1024 bytes). The application code is
// the ws-deflate target's (its serve()): each send is compressed for its
// recipient, as a ws application ported as is would do.
import { oursEntry, oursAvailable } from '../lib/ours-entry.mjs';
import { serve } from './ws-deflate.mjs';

export const label = 'ours: clients loop, perMessageDeflate: true';
export const available = oursAvailable;
export { client } from './ws-deflate.mjs';

export async function start(options) {
  const { WebSocketServer } = await import(oursEntry);
  return serve(WebSocketServer, options);
}
