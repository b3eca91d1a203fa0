// The client's outgoing calls: the book of calls in flight and waiting, the
// pacer that keeps app calls within the server's announced limits, and the
// order they leave in (authentications first, then app calls in order). The
// connection decides when the socket may carry which kind (OutboxHost).

import { CallBook, type Call } from './calls.js';
import { ClientClosedError, ClientError, MessageTooLargeError, QueueFullError, type ServerError } from './errors.js';
import { isRecord } from './inbound.js';
import { Pacer, utf8Length } from './pacer.js';

/** What the outbox asks of the connection. */
export interface OutboxHost {
  /** The client is closed: calls are refused. */
  closed(): boolean;
  /** Authentications may go out (the WebSocket is open). */
  canAuthenticate(): boolean;
  /** App calls may go out (authenticated, or nothing to authenticate with). */
  canCall(): boolean;
  /** Puts one message on the WebSocket; throws when the WebSocket refuses it. */
  send(text: string): void;
}

export class Outbox {
  readonly calls = new CallBook();
  /** Keeps app calls within the server's announced limits. */
  readonly pacer = new Pacer();
  readonly #host: OutboxHost;
  readonly #maxQueue: number;

  constructor(host: OutboxHost, maxQueue: number) {
    this.#host = host;
    this.#maxQueue = maxQueue;
  }

  /** A new call: sent now when the connection allows, else queued (up to maxQueue). */
  submit(call: Call): void {
    const host = this.#host;
    if (host.closed()) return this.calls.settle(call, new ClientClosedError());
    if (call.auth !== null && host.canAuthenticate()) return this.transmit(call);
    if (call.auth === null && host.canCall()) {
      // Connected: the call goes out now, or waits its turn within the server's limits.
      this.calls.queue.push(call);
      return this.flush();
    }
    if (this.calls.waiting >= this.#maxQueue) return this.calls.settle(call, new QueueFullError(this.#maxQueue));
    (call.auth !== null ? this.calls.authQueue : this.calls.queue).push(call);
  }

  /** Puts one call on the wire now (the caller checked the connection allows it). */
  transmit(call: Call): void {
    const limit = this.pacer.tooLarge(call.text);
    if (limit !== null) return this.calls.settle(call, new MessageTooLargeError(utf8Length(call.text), limit));
    this.calls.markSent(call);
    this.pacer.sent(call.auth === null ? call.id : null);
    try {
      this.#host.send(call.text);
    } catch (error) {
      this.calls.settle(call, new ClientError('send_failed', 'the WebSocket refused the message', error));
    }
  }

  /**
   * Sends what waited: authentications first, then app calls in order, as
   * many as the server's limits allow now. The rest go out when an answer
   * frees a slot or the next token is due.
   */
  flush = (): void => {
    const calls = this.calls;
    const host = this.#host;
    while (calls.authQueue.length > 0 && host.canAuthenticate()) {
      this.transmit(calls.authQueue.shift()!);
    }
    while (calls.queue.length > 0 && host.canCall()) {
      const wait = this.pacer.wait();
      if (wait > 0) this.pacer.schedule(wait, this.flush);
      if (wait !== 0) return;
      this.transmit(calls.queue.shift()!);
    }
  };

  /**
   * Settles the call an answer belongs to. 'unknown': no such call (it timed
   * out or was aborted, or the server could not read our id); 'requeued': a
   * closing server did not act on it and it waits for the next connection
   * (only when the client reconnects); 'settled' otherwise, including a
   * broadcast refused for now with a retryAfter, which is sent again then.
   */
  answer(id: unknown, error: ServerError | null, data: unknown, reconnects: boolean): 'unknown' | 'requeued' | 'settled' {
    const call = typeof id === 'number' ? this.calls.inflight.get(id) : undefined;
    if (call === undefined) return 'unknown';
    if (error?.code === 'shutting_down' && reconnects && call.auth !== 'auto') {
      this.calls.requeue(call);
      return 'requeued';
    }
    const retryAfter = error?.code === 'rate_limited' && call.auth === null ? retryAfterOf(error.details) : null;
    if (retryAfter !== null) this.calls.retryLater(call, retryAfter, (c) => this.submit(c));
    else this.calls.settle(call, error, data);
    return 'settled';
  }
}

/** The `retryAfter` (ms) of a `rate_limited` error's details, when it names a sensible one. */
function retryAfterOf(details: unknown): number | null {
  const ms = isRecord(details) ? details.retryAfter : undefined;
  return typeof ms === 'number' && ms >= 0 && ms <= 60_000 ? ms : null;
}
