// The browser-style event API (addEventListener, onopen, onmessage, ...)
// layered on the EventEmitter events of the ws-compatible WebSocket, for
// code written against the WHATWG WebSocket, with the registration rules of
// browsers and ws. Each addEventListener listener is wrapped once and keyed
// by (type, listener), so adding the same listener twice is a no-op and
// removeEventListener finds its wrapper, as in the DOM. An on<type> handler
// is a separate registration (see _handlers).

import { EventEmitter } from 'node:events';
import { CloseEvent, ErrorEvent, MessageEvent, WsEvent, type EventListenerLike } from './events.js';

export abstract class BrowserEvents extends EventEmitter {
  private _listenerMap: Map<unknown, (...args: unknown[]) => void> | null = null;

  /** @internal Both close frames were exchanged (CloseEvent.wasClean). */
  abstract _wasClean(): boolean;

  addEventListener(type: string, listener: EventListenerLike<never>, options?: { once?: boolean }): void {
    if (typeof listener !== 'function' && (typeof listener !== 'object' || listener === null)) return;
    const map = (this._listenerMap ??= new Map());
    const key = listenerKey(type, listener);
    if (map.has(key)) return;
    const wrapper = this._wrap(type, listener);
    if (wrapper === null) return;
    if (options?.once) {
      const registered = (...args: unknown[]): void => {
        map.delete(key);
        wrapper(...args);
      };
      map.set(key, registered);
      this.once(type, registered);
      return;
    }
    map.set(key, wrapper);
    this.on(type, wrapper);
  }

  /**
   * The EventEmitter listener that calls `listener` with the browser-style
   * event object of `type`; null for a type the browser API does not have.
   */
  private _wrap(type: string, listener: EventListenerLike<never>): ((...args: unknown[]) => void) | null {
    const call = (ev: WsEvent): void => {
      if (typeof listener === 'function') (listener as (e: WsEvent) => void).call(this, ev);
      else (listener as { handleEvent(e: WsEvent): void }).handleEvent(ev);
    };
    if (type === 'message') {
      return ((data: Buffer | ArrayBuffer | Buffer[] | Blob, isBinary: boolean) => {
        call(new MessageEvent(isBinary ? data : (data as Buffer).toString(), this));
      }) as never;
    }
    if (type === 'close') {
      return ((code: number, reason: Buffer) => {
        call(new CloseEvent(code, reason.toString(), this._wasClean(), this));
      }) as never;
    }
    if (type === 'error') return ((err: Error) => call(new ErrorEvent(err, this))) as never;
    if (type === 'open') return (() => call(new WsEvent('open', this))) as never;
    return null;
  }

  removeEventListener(type: string, listener: EventListenerLike<never>): void {
    const key = listenerKey(type, listener);
    const wrapper = this._listenerMap?.get(key);
    if (wrapper === undefined) return;
    this._listenerMap!.delete(key);
    this.removeListener(type, wrapper);
  }

  get onopen(): ((ev: WsEvent) => void) | null {
    return this._getHandler('open');
  }
  set onopen(fn: ((ev: WsEvent) => void) | null) {
    this._setHandler('open', fn);
  }
  get onmessage(): ((ev: MessageEvent) => void) | null {
    return this._getHandler('message');
  }
  set onmessage(fn: ((ev: MessageEvent) => void) | null) {
    this._setHandler('message', fn);
  }
  get onclose(): ((ev: CloseEvent) => void) | null {
    return this._getHandler('close');
  }
  set onclose(fn: ((ev: CloseEvent) => void) | null) {
    this._setHandler('close', fn);
  }
  get onerror(): ((ev: ErrorEvent) => void) | null {
    return this._getHandler('error');
  }
  set onerror(fn: ((ev: ErrorEvent) => void) | null) {
    this._setHandler('error', fn);
  }

  /**
   * The on<type> handlers and the listeners that call them. As in browsers
   * (and ws), a handler is a registration of its own, apart from those of
   * addEventListener: the same function set as `onmessage` and added with
   * addEventListener runs twice, and removeEventListener does not remove
   * the handler.
   */
  private _handlers: Map<string, { fn: (ev: never) => void; wrapper: (...args: unknown[]) => void }> | null = null;
  private _getHandler<E>(type: string): ((ev: E) => void) | null {
    return (this._handlers?.get(type)?.fn as ((ev: E) => void) | undefined) ?? null;
  }
  private _setHandler(type: string, fn: ((ev: never) => void) | null): void {
    const handlers = (this._handlers ??= new Map());
    const old = handlers.get(type);
    if (old !== undefined) {
      handlers.delete(type);
      this.removeListener(type, old.wrapper);
    }
    // Anything but a function clears the handler, as in ws.
    if (typeof fn !== 'function') return;
    const wrapper = this._wrap(type, fn as EventListenerLike<never>)!;
    handlers.set(type, { fn, wrapper });
    this.on(type, wrapper);
  }
}

function listenerKey(type: string, listener: unknown): unknown {
  // One map for all types: key on the listener and the type together.
  let perType = typeKeys.get(listener as object);
  if (perType === undefined) {
    perType = new Map();
    typeKeys.set(listener as object, perType);
  }
  let key = perType.get(type);
  if (key === undefined) {
    key = { type };
    perType.set(type, key);
  }
  return key;
}
const typeKeys = new WeakMap<object, Map<string, object>>();
