// The options object of server.broadcast(event, data, options) and
// session.broadcast(event, data, options), the shape the client's
// broadcast(event, data, { group }) has. It replaced the positional
// broadcast(event, group, data, except) of 0.2.x. A call in the old shape
// would not fail by itself: the group name would go out as the data, to
// everyone. So every shape that can only be the old one throws a TypeError
// naming the new form, and the options object admits no other keys.

/** Where a server-side broadcast goes. */
export interface BroadcastTarget<S> {
  group: string | null;
  except: S | null;
}

const NEW_FORM = 'use broadcast(event, data, { group, except }); the positional broadcast(event, group, data, except) of 0.2.x is gone (docs/migrating.md)';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Reads the options of a broadcast call. `argc` is the number of arguments
 * the call was made with: four can only be the old form.
 */
export function broadcastTarget<S>(argc: number, options: unknown, isSession: (value: unknown) => value is S): BroadcastTarget<S> {
  if (argc > 3) throw new TypeError(`broadcast takes (event, data, options): ${NEW_FORM}`);
  if (options === undefined) return { group: null, except: null };
  if (!isPlainObject(options)) throw new TypeError(`broadcast options must be an object { group?, except? }: ${NEW_FORM}`);
  for (const key of Object.keys(options)) {
    if (key !== 'group' && key !== 'except') throw new TypeError(`unknown broadcast option "${key}": ${NEW_FORM}`);
  }
  const { group = null, except = null } = options;
  if (group !== null && (typeof group !== 'string' || group === '')) throw new TypeError('broadcast option group must be a non-empty string or null');
  if (except !== null && !isSession(except)) throw new TypeError('broadcast option except must be a Session or null');
  return { group, except };
}
