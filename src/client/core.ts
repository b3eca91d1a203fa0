// The client core: one implementation of our protocol (docs/protocol.md)
// for Node and browsers, the same API in both. This file holds the
// protocol's operations and the app's listeners; the WebSocket's life,
// reconnection, authentication and the call queue are in connection.ts.

import type { ClientMessageBody } from '../router/wire.js';
import { ClientConnection } from './connection.js';
import { isRecord, publicClientOf } from './inbound.js';
import { ERROR, eventKey, MESSAGE, PRESENCE, STATE } from './listeners.js';
import type {
  BodyArgs,
  BroadcastOptions,
  CallOptions,
  ClientTypeMap,
  EventMeta,
  EventName,
  EventsOf,
  MessageOf,
  PresenceChange,
  PublicClient,
  PublicDataOf,
  Recipient,
  RequestBody,
  RequestName,
  RequestResult,
  Sender,
  SessionOf,
  StateEvent,
} from './types.js';

/** The subprotocol of our wire protocol: the server's PROTOCOL_V1. */
export { PROTOCOL_V1 as PROTOCOL } from '../router/wire.js';

export class ClientCore<T extends ClientTypeMap = ClientTypeMap> extends ClientConnection<T> {
  /** Sends a named request; resolves to the handler's answer. */
  request<K extends RequestName<T>>(name: K, ...args: BodyArgs<RequestBody<T, K>, CallOptions>): Promise<RequestResult<T, K>> {
    return this.call({ type: 'request', name, data: args[0] ?? null }, args[1]);
  }

  /** Broadcasts an event to every other client, or to a group's members. Resolves once the server delivered it. */
  broadcast<K extends EventName<T>>(event: K, data: EventsOf<T>[K], options: BroadcastOptions = {}): Promise<void> {
    return this.call({ type: 'broadcast', event, group: options.group ?? null, data: data ?? null }, options, () => undefined);
  }

  /** Sends a private message to a client by id (string or {id}) or by alias ({alias}). */
  sendMessage(to: Recipient, data: MessageOf<T>, options?: CallOptions): Promise<void> {
    const target = typeof to === 'string' ? { id: to } : to;
    return this.call({ type: 'message', to: target, data: data ?? null }, options, () => undefined);
  }

  /** Joins a group (the server decides); resolves to this client's groups. */
  join(group: string, options?: CallOptions): Promise<string[]> {
    return this.call({ type: 'join', group }, options, (d) => this.#groups(d, group, true));
  }

  leave(group: string, options?: CallOptions): Promise<string[]> {
    return this.call({ type: 'leave', group }, options, (d) => this.#groups(d, group, false));
  }

  /**
   * The answer names the change only (`{ group, joined }`), so its size does
   * not grow with the number of groups: the client applies it to its own
   * list. A server that sends the whole list (`{ groups }`) is followed.
   */
  #groups(data: unknown, group: string, join: boolean): string[] {
    let groups: string[];
    if (isRecord(data) && Array.isArray(data.groups)) groups = data.groups.filter((g): g is string => typeof g === 'string');
    else {
      const joined = isRecord(data) && typeof data.joined === 'boolean' ? data.joined : join;
      const current = this.self?.groups ?? [];
      if (joined) groups = current.includes(group) ? [...current] : [...current, group];
      else groups = current.filter((g) => g !== group);
    }
    if (!groups.includes(group)) this.leftGroup(group);
    this.updateSelf({ groups });
    return groups;
  }

  /** The other clients that are visible now (available, with an alias). */
  clients(options?: CallOptions): Promise<PublicClient<PublicDataOf<T>>[]> {
    return this.call({ type: 'clients' }, options, (data) => {
      const list = (Array.isArray(data) ? data : []).map(publicClientOf).filter((c): c is PublicClient => c !== null);
      this.presence.merge(list);
      return list as PublicClient<PublicDataOf<T>>[];
    });
  }

  /** Changes the public alias and/or availability; others are told by presence events. */
  update(changes: { alias?: string | null; available?: boolean }, options?: CallOptions): Promise<{ alias: string | null; available: boolean }> {
    // Only the two known fields: anything else in `changes` must not reach the wire.
    const message: ClientMessageBody<'update'> = { type: 'update' };
    if (changes.alias !== undefined) message.alias = changes.alias;
    if (changes.available !== undefined) message.available = changes.available;
    return this.call(message, options, (data) => {
      const now = { alias: isRecord(data) && typeof data.alias === 'string' ? data.alias : null, available: isRecord(data) && data.available === true };
      this.updateSelf(now);
      return now;
    });
  }

  setAlias(alias: string | null, options?: CallOptions): Promise<{ alias: string | null; available: boolean }> {
    return this.update({ alias }, options);
  }

  setAvailable(available: boolean, options?: CallOptions): Promise<{ alias: string | null; available: boolean }> {
    return this.update({ available }, options);
  }

  // ---- listeners ----------------------------------------------------------

  /** Handles an event broadcast by the server or another client. Returns an unsubscribe function. */
  on<K extends EventName<T>>(event: K, handler: (data: EventsOf<T>[K], meta: EventMeta) => void): () => void {
    return this.listeners.add(eventKey(event), handler);
  }

  off<K extends EventName<T>>(event: K, handler: (data: EventsOf<T>[K], meta: EventMeta) => void): void {
    this.listeners.remove(eventKey(event), handler);
  }

  /** Handles private messages sent to this client. */
  onMessage(handler: (data: MessageOf<T>, from: Sender) => void): () => void {
    return this.listeners.add(MESSAGE, handler);
  }

  /** Handles presence changes of other clients. */
  onPresence(handler: (client: PublicClient<PublicDataOf<T>>, change: PresenceChange) => void): () => void {
    return this.listeners.add(PRESENCE, handler);
  }

  /** Handles connection-state changes. */
  onState(handler: (event: StateEvent<SessionOf<T>>) => void): () => void {
    return this.listeners.add(STATE, handler);
  }

  /**
   * Handles errors that belong to no call: malformed server messages, a
   * failing credentials callback, a throwing handler. Without an error
   * handler, handler exceptions are rethrown asynchronously.
   */
  onError(handler: (error: Error) => void): () => void {
    return this.listeners.add(ERROR, handler);
  }
}
