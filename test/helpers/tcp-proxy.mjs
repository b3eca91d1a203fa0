// A TCP proxy on 127.0.0.1 between test clients and a server, to break
// connections the way networks do: cut() destroys both sockets of every
// connection (no close frame, no FIN handshake the WebSocket layer would
// see as a close), and blackhole() stops forwarding while keeping TCP open
// (a half-open connection: each side thinks the other is still there).
import net from 'node:net';

export class TcpProxy {
  /** Live pairs: { client, upstream, blackholed }. */
  pairs = new Set();
  #server;
  #target;
  port = 0;

  constructor(targetPort) {
    this.#target = targetPort;
    this.#server = net.createServer((client) => this.#accept(client));
  }

  static async start(targetPort) {
    const proxy = new TcpProxy(targetPort);
    await new Promise((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    proxy.port = proxy.#server.address().port;
    return proxy;
  }

  get url() {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Points new connections at another port (a client that reconnects lands on another server). */
  retarget(port) {
    this.#target = port;
  }

  /** New connections wait (accepted, not forwarded) until release(): the client sees no server meanwhile. */
  pause() {
    this.#held ??= [];
  }

  release() {
    const held = this.#held ?? [];
    this.#held = null;
    for (const client of held) if (!client.destroyed) this.#accept(client);
  }

  #held = null;

  #accept(client) {
    if (this.#held !== null) {
      this.#held.push(client);
      client.on('error', () => client.destroy());
      return;
    }
    const upstream = net.connect(this.#target, '127.0.0.1');
    const pair = { client, upstream, blackholed: false };
    this.pairs.add(pair);
    const forward = (from, to) => {
      from.on('data', (chunk) => {
        if (!pair.blackholed) to.write(chunk);
      });
    };
    forward(client, upstream);
    forward(upstream, client);
    const drop = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
  }

  /** Destroys both sockets of every connection now. */
  cut() {
    for (const pair of [...this.pairs]) {
      this.pairs.delete(pair);
      pair.client.destroy();
      pair.upstream.destroy();
    }
  }

  /** Stops forwarding in both directions; the TCP connections stay open. */
  blackhole() {
    for (const pair of this.pairs) pair.blackholed = true;
  }

  async close() {
    for (const client of this.#held ?? []) client.destroy();
    this.#held = null;
    this.cut();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
