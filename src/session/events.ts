// The event objects of the browser-style event API (addEventListener,
// onmessage, ...) layered on the EventEmitter events, for code written
// against the WHATWG WebSocket. Shaped as ws's are, and as DOM events are:
// their properties are read-only accessors of the prototype (enumerable, so
// for...in lists them), the instance has no own properties (Object.keys and
// JSON.stringify give nothing, and an event never serializes its target).

export class WsEvent {
  readonly #type: string;
  readonly #target: unknown;
  constructor(type: string, target: unknown) {
    this.#type = type;
    this.#target = target;
  }
  get type(): string {
    return this.#type;
  }
  get target(): unknown {
    return this.#target;
  }
}

export class MessageEvent extends WsEvent {
  readonly #data: unknown;
  constructor(data: unknown, target: unknown) {
    super('message', target);
    this.#data = data;
  }
  get data(): unknown {
    return this.#data;
  }
}

export class CloseEvent extends WsEvent {
  readonly #code: number;
  readonly #reason: string;
  readonly #wasClean: boolean;
  constructor(code: number, reason: string, wasClean: boolean, target: unknown) {
    super('close', target);
    this.#code = code;
    this.#reason = reason;
    this.#wasClean = wasClean;
  }
  get code(): number {
    return this.#code;
  }
  get reason(): string {
    return this.#reason;
  }
  get wasClean(): boolean {
    return this.#wasClean;
  }
}

export class ErrorEvent extends WsEvent {
  readonly #error: unknown;
  readonly #message: string;
  constructor(error: unknown, target: unknown) {
    super('error', target);
    this.#error = error;
    this.#message = error instanceof Error ? error.message : String(error);
  }
  get error(): unknown {
    return this.#error;
  }
  get message(): string {
    return this.#message;
  }
}

// Class accessors are not enumerable by default; ws's (and the DOM's) are.
for (const [cls, names] of [
  [WsEvent, ['type', 'target']],
  [MessageEvent, ['data']],
  [CloseEvent, ['code', 'reason', 'wasClean']],
  [ErrorEvent, ['error', 'message']],
] as const) {
  for (const name of names) Object.defineProperty(cls.prototype, name, { enumerable: true });
}

// Exported as Event (index.ts); its name is that, as ws's and the DOM's.
Object.defineProperty(WsEvent, 'name', { value: 'Event' });

export type EventListenerLike<E> = ((event: E) => void) | { handleEvent(event: E): void };
