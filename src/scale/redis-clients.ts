// The two Redis client libraries a RedisBus accepts, seen through the few
// members it uses. The package imports neither (it has no runtime
// dependencies): a client is recognised by its shape, and both flavours are
// put behind one small internal interface, Link, so that ./redis-bus.ts
// holds the bus's rules and nothing library-specific.
//
//   node-redis (`redis` v4 and later): `isOpen` / `isReady` booleans;
//     subscribe(channels, listener) delivers through the listener given, as
//     (message, channel); on a reconnect the client subscribes again to every
//     channel it has a listener for before it emits 'ready'.
//   ioredis: a `status` string ('ready' when usable); subscribe(...channels)
//     and one 'message' event (channel, message) for every channel; on a
//     reconnect it emits 'ready' first and subscribes again afterwards (when
//     its autoResubscribe option is on, the default).

/** A listener as the clients' EventEmitter `on` takes it. */
export type RedisEventListener = (...args: unknown[]) => void;

/** What both client libraries have in common: an EventEmitter that publishes. */
export interface RedisEmitterLike {
  on(event: string, listener: RedisEventListener): unknown;
  off?(event: string, listener: RedisEventListener): unknown;
  removeListener(event: string, listener: RedisEventListener): unknown;
  publish(channel: string, message: string): Promise<unknown>;
}

/** A node-redis (`redis` package, v4 and later) client, connected. */
export interface NodeRedisClientLike extends RedisEmitterLike {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  subscribe(channels: string[], listener: (message: string, channel: string) => unknown): Promise<unknown>;
  unsubscribe(channels: string[], listener: (message: string, channel: string) => unknown): Promise<unknown>;
}

/** An ioredis client, connected. */
export interface IoRedisClientLike extends RedisEmitterLike {
  readonly status: string;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
}

/** Either flavour of client. */
export type RedisClientLike = NodeRedisClientLike | IoRedisClientLike;

/** What a link reports to the bus. */
export interface LinkEvents {
  /** The client's state may have changed ('ready', 'end', 'reconnecting'...); an error comes with it. */
  state(error?: Error): void;
  /** A message on a channel of the subscriber connection (full channel name, prefix included); the subscriber's link only. */
  message?(channel: string, payload: string): void;
}

/** One client behind the interface the bus uses. @internal */
export interface Link {
  readonly flavour: 'node-redis' | 'ioredis';
  /** True while the client can run commands now. */
  ready(): boolean;
  publish(channel: string, payload: string): Promise<unknown>;
  subscribe(channels: string[]): Promise<unknown>;
  unsubscribe(channels: string[]): Promise<unknown>;
  /** Adds the bus's listeners (once). */
  attach(events: LinkEvents): void;
  /** Removes every listener attach() added. */
  detach(): void;
  /**
   * Runs any command (`['EVALSHA', sha, ...]`): node-redis `sendCommand(args)`,
   * ioredis `call(name, ...args)`. The reply is the library's own rendering
   * of it (strings, numbers, null, arrays): the caller normalises it.
   */
  command(args: string[]): Promise<unknown>;
}

// The events that say a client's connection changed, per flavour. 'error'
// is among them, and listening to it matters on its own: both libraries
// emit 'error' on every failed connection attempt, and an EventEmitter
// 'error' without a listener throws (node-redis) or is logged (ioredis).
const NODE_REDIS_EVENTS = ['error', 'ready', 'end', 'reconnecting'] as const;
const IOREDIS_EVENTS = ['error', 'ready', 'end', 'close', 'reconnecting'] as const;

type Role = 'publisher' | 'subscriber';

function fail(role: Role, why: string, owner: string): never {
  throw new TypeError(`${owner}: the ${role} ${why}`);
}

function hasFunctions(value: object, names: readonly string[]): boolean {
  const record = value as Record<string, unknown>;
  return names.every((name) => typeof record[name] === 'function');
}

/**
 * Recognises a client and wraps it. Throws a TypeError for an object of
 * neither shape, and for a client that cannot serve `role` as it is: a
 * closed one, a node-redis client in legacy mode, and a publisher already
 * in subscriber mode (a RESP2 connection that has subscribed runs nothing
 * but (un)subscribe commands, so it cannot publish). `owner` names the
 * class in the messages.
 */
export function toLink(client: unknown, role: Role, owner = 'RedisBus'): Link {
  if (client === null || typeof client !== 'object') {
    fail(role, 'must be a node-redis (redis v4+) or ioredis client', owner);
  }
  if (!hasFunctions(client, ['on', 'removeListener', 'publish', 'subscribe', 'unsubscribe'])) {
    fail(role, 'must be a node-redis (redis v4+) or ioredis client: it lacks on/publish/subscribe/unsubscribe', owner);
  }
  const record = client as Record<string, unknown>;
  if (typeof record.isOpen === 'boolean' && typeof record.isReady === 'boolean') {
    // node-redis v4's legacyMode replaces the promise API with callbacks
    // (the promise one moves to client.v4, which has no events).
    // (Reading client.v4 outside legacy mode throws: the option says it.)
    const options = record.options as { legacyMode?: unknown } | undefined;
    if (options?.legacyMode === true) fail(role, 'is a node-redis client in legacyMode, which is not supported', owner);
    if (!record.isOpen) fail(role, 'is not connected: call its connect() first (the application owns its clients)', owner);
    if (role === 'publisher' && record.isPubSubActive === true && !isResp3(record)) {
      fail(role, 'is in subscriber mode and cannot publish: give the bus two connections (client.duplicate())', owner);
    }
    return nodeRedisLink(client as NodeRedisClientLike);
  }
  if (typeof record.status === 'string') {
    if (record.status === 'end') fail(role, 'has ended (quit() or disconnect() was called)', owner);
    // lazyConnect: nothing would ever connect it (the bus sends no command before 'ready').
    if (record.status === 'wait') fail(role, 'is not connected: call its connect() first (the application owns its clients)', owner);
    const condition = record.condition as { subscriber?: unknown } | null | undefined;
    if (role === 'publisher' && condition?.subscriber) {
      fail(role, 'is in subscriber mode and cannot publish: give the bus two connections (client.duplicate())', owner);
    }
    return ioRedisLink(client as IoRedisClientLike);
  }
  return fail(role, 'must be a node-redis (redis v4+) or ioredis client: neither isOpen/isReady nor status found', owner);
}

/**
 * A link that also runs arbitrary commands (scripts, streams, hashes):
 * the client must have node-redis's `sendCommand` or ioredis's `call`.
 */
export function toCommandLink(client: unknown, owner: string): Link {
  const link = toLink(client, 'publisher', owner);
  const name = link.flavour === 'node-redis' ? 'sendCommand' : 'call';
  if (!hasFunctions(client as object, [name])) fail('publisher', `lacks ${name}(), which runs the commands it needs`, owner);
  return link;
}

/** node-redis v5+ over RESP3 may publish on a connection that subscribes. */
function isResp3(record: Record<string, unknown>): boolean {
  const options = record.options as { RESP?: unknown } | undefined;
  return options?.RESP === 3;
}

/**
 * Runs a client command as a promise whatever the client does: a
 * synchronous throw (a closed client, say) becomes a rejection, so no
 * caller of the bus ever sees an exception.
 */
function command(run: () => Promise<unknown>): Promise<unknown> {
  try {
    return Promise.resolve(run());
  } catch (error) {
    return Promise.reject(error);
  }
}

// The generic command entry points, checked by toCommandLink (the
// exported client shapes do not require them: a bus does not use them).
interface NodeRedisCommander {
  sendCommand(args: string[]): Promise<unknown>;
}
interface IoRedisCommander {
  call(name: string, ...args: string[]): Promise<unknown>;
}

type Attached = Array<[string, RedisEventListener]>;

function attachAll(client: RedisEmitterLike, names: readonly string[], events: LinkEvents, into: Attached): void {
  for (const name of names) {
    const listener =
      name === 'error'
        ? (error: unknown) => events.state(error instanceof Error ? error : new Error(String(error)))
        : () => events.state();
    client.on(name, listener as RedisEventListener);
    into.push([name, listener as RedisEventListener]);
  }
}

function detachAll(client: RedisEmitterLike, attached: Attached): void {
  for (const [name, listener] of attached.splice(0)) client.removeListener(name, listener);
}

function nodeRedisLink(client: NodeRedisClientLike): Link {
  const attached: Attached = [];
  let sink: LinkEvents | undefined;
  // ONE listener function for every channel, kept for the bus's lifetime:
  // node-redis keeps a set of listeners per channel and restores the
  // subscriptions itself on a reconnect, so subscribing again with the same
  // function adds nothing, where a new function would deliver twice.
  const listener = (message: string, channel: string): void => sink?.message?.(channel, message);
  return {
    flavour: 'node-redis',
    ready: () => client.isReady,
    publish: (channel, payload) => command(() => client.publish(channel, payload)),
    subscribe: (channels) => command(() => client.subscribe(channels, listener)),
    // With the listener given, node-redis removes only the bus's listener,
    // and sends UNSUBSCRIBE only for channels no other listener wants.
    unsubscribe: (channels) => command(() => client.unsubscribe(channels, listener)),
    command: (args) => command(() => (client as unknown as NodeRedisCommander).sendCommand(args)),
    attach(events) {
      if (sink) return;
      sink = events;
      attachAll(client, NODE_REDIS_EVENTS, events, attached);
    },
    detach() {
      sink = undefined;
      detachAll(client, attached);
    },
  };
}

function ioRedisLink(client: IoRedisClientLike): Link {
  const attached: Attached = [];
  let sink: LinkEvents | undefined;
  return {
    flavour: 'ioredis',
    ready: () => client.status === 'ready',
    publish: (channel, payload) => command(() => client.publish(channel, payload)),
    subscribe: (channels) => command(() => client.subscribe(...channels)),
    unsubscribe: (channels) => command(() => client.unsubscribe(...channels)),
    command: ([name, ...args]) => command(() => (client as unknown as IoRedisCommander).call(name!, ...args)),
    attach(events) {
      if (sink) return;
      sink = events;
      attachAll(client, IOREDIS_EVENTS, events, attached);
      if (!events.message) return;
      // ioredis delivers every channel of the connection through one
      // event; the bus keeps what carries its prefix and its channels.
      const onMessage = (channel: string, message: string): void => sink?.message?.(channel, message);
      client.on('message', onMessage as RedisEventListener);
      attached.push(['message', onMessage as RedisEventListener]);
    },
    detach() {
      sink = undefined;
      detachAll(client, attached);
    },
  };
}
