// An in-memory stand-in for a browser-style WebSocket, driven by the test:
// it plays the server side (open, send, close) and records what the client
// sent. Lets the client core be tested without a network, deterministically.

export class FakeSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;

  constructor(url, protocols) {
    this.url = url;
    this.protocols = protocols;
    this.readyState = 0;
    this.protocol = '';
    this.sent = [];
    this.closedWith = null;
    this.onopen = this.onmessage = this.onclose = this.onerror = null;
  }

  /** Messages the client sent, parsed. */
  get messages() {
    return this.sent.map((t) => JSON.parse(t));
  }

  send(text) {
    if (this.readyState !== 1) throw new Error(`send in readyState ${this.readyState}`);
    this.sent.push(text);
  }

  close(code = 1000, reason = '') {
    if (this.readyState === 3) return;
    this.closedWith = { code, reason };
    this.readyState = 3;
    // Like browsers: the close event comes later, on its own task.
    setTimeout(() => this.onclose?.({ code, reason, wasClean: true }), 0);
  }

  // ---- the server's side ----
  serverOpen(protocol = 'ws-node-server.v1') {
    this.protocol = protocol;
    this.readyState = 1;
    this.onopen?.({});
  }
  serverSend(msg) {
    this.onmessage?.({ data: typeof msg === 'string' ? msg : JSON.stringify(msg) });
  }
  serverReply(id, data = null) {
    this.serverSend({ type: 'reply', id, data });
  }
  serverError(id, code, message = code, details) {
    this.serverSend({ type: 'error', id, error: { code, message, details } });
  }
  serverClose(code = 1006, reason = '') {
    this.readyState = 3;
    this.onerror?.({});
    this.onclose?.({ code, reason, wasClean: code !== 1006 });
  }
}

/** A factory that records every socket it makes. */
export function fakeTransport() {
  const sockets = [];
  const factory = (url, protocols) => {
    const s = new FakeSocket(url, protocols);
    sockets.push(s);
    return s;
  };
  return { sockets, factory, get last() { return sockets[sockets.length - 1]; } };
}
