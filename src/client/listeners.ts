// A minimal listener registry (no node:events, so the browser bundle stays
// small). A throwing handler never breaks the client: the error goes to the
// client's error handlers, or is rethrown on its own task so it still shows
// up (console in browsers, uncaughtException in Node) like any bug.

type Handler = (...args: never[]) => void;

export class Listeners {
  readonly #map = new Map<string, Set<Handler>>();

  add(key: string, handler: Handler): () => void {
    if (typeof handler !== 'function') throw new TypeError('handler must be a function');
    let set = this.#map.get(key);
    if (set === undefined) this.#map.set(key, (set = new Set()));
    set.add(handler);
    return () => this.remove(key, handler);
  }

  remove(key: string, handler: Handler): void {
    const set = this.#map.get(key);
    if (set === undefined) return;
    set.delete(handler);
    // Keys include app event names; drop empty ones so nothing accumulates.
    if (set.size === 0) this.#map.delete(key);
  }

  has(key: string): boolean {
    return this.#map.has(key);
  }

  /** Calls every handler of `key`; returns whether there was one. */
  emit(key: string, ...args: unknown[]): boolean {
    const set = this.#map.get(key);
    if (set === undefined) return false;
    // A copy: handlers may add or remove handlers while we iterate.
    for (const handler of [...set]) {
      try {
        (handler as (...a: unknown[]) => void)(...args);
      } catch (error) {
        if (key === ERROR || !this.emit(ERROR, error)) rethrowLater(error);
      }
    }
    return true;
  }
}

// Keys of the client's own events; app events get a prefix so no event
// name can collide with them.
export const ERROR = 'error';
export const STATE = 'state';
export const MESSAGE = 'message';
export const PRESENCE = 'presence';
export const eventKey = (name: string): string => 'e:' + name;

function rethrowLater(error: unknown): void {
  setTimeout(() => {
    throw error;
  }, 0);
}
