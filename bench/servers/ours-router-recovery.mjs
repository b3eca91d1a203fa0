// Target: the application server with session recovery on (the `recovery`
// option, defaults): every broadcast is also appended to its stream's
// history and carries its position. Same clients and modes as
// ours-router.mjs, so the two rows show what history costs on the fan-out
// path.
import { start as startRouter, client, available } from './ours-router.mjs';

export const label = 'ours: router, recovery on';
export { client, available };

export function start(options) {
  return startRouter(options, { recovery: true });
}
