// The upgrade gate: every HTTP upgrade request passes here before the
// WebSocket handshake. Cheap refusals come first (wrong path, closing,
// protocol required, browser origin not allowed, over capacity), each with a
// real HTTP status; then the application's onUpgrade hook decides, within
// upgradeTimeout. Upgrades waiting for the hook count against
// maxConnections, and a shutdown refuses them at once.

import type * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { rejectUpgrade, splitTokens } from '../handshake/index.js';
import { PROTOCOL_V1 } from './wire.js';
import type { HookRunner as Router } from './host.js';
import type { ResolvedOptions, UpgradeHook } from './types.js';

/** Sent with every 503, so well-behaved clients wait before trying again. */
const RETRY_AFTER = { 'Retry-After': '5' };

export interface GateHost {
  readonly options: ResolvedOptions;
  readonly router: Router;
  readonly http: http.Server | import('node:https').Server;
  /** Current upgrade hook, if any. */
  hook(): UpgradeHook | undefined;
  /** True while new connections are accepted. */
  accepting(): boolean;
  /** Connections the core holds (open or closing). */
  connectionCount(): number;
  /** Runs the WebSocket handshake and adopts the connection. */
  complete(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
}

export class UpgradeGate {
  readonly #host: GateHost;
  /** deny() of each upgrade waiting for the onUpgrade hook. */
  readonly #pending = new Set<(status: number, reason?: string) => void>();
  refusedOverCapacity = 0;
  refusedOrigin = 0;

  constructor(host: GateHost) {
    this.#host = host;
  }

  /** Upgrades waiting for the onUpgrade hook. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Shutdown: answer every upgrade still waiting for the hook with 503. */
  refuseAll(): void {
    for (const deny of [...this.#pending]) deny(503, 'Server is shutting down');
  }

  handle = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    const host = this.#host;
    const options = host.options;
    if (options.path !== undefined && pathname(req.url) !== options.path) {
      // Another handler on the same http server may own this path.
      if (host.http.listenerCount('upgrade') <= 1) rejectUpgrade(socket, 400, 'No WebSocket endpoint at this path');
      return;
    }
    if (!host.accepting()) {
      rejectUpgrade(socket, 503, 'Server is shutting down', RETRY_AFTER);
      return;
    }
    if (!options.legacyProtocol && !splitTokens(req.headers['sec-websocket-protocol']).includes(PROTOCOL_V1)) {
      rejectUpgrade(socket, 400, `This server requires the ${PROTOCOL_V1} subprotocol`);
      return;
    }
    // Cross-site WebSocket hijacking: browsers always send Origin; other
    // clients may omit it and are let through (they are not a browser's victims).
    const origin = req.headers.origin;
    if (options.allowedOrigins !== null && origin !== undefined && !options.allowedOrigins.includes(origin)) {
      this.refusedOrigin++;
      rejectUpgrade(socket, 403, 'Origin not allowed');
      return;
    }
    const max = options.maxConnections;
    if (max > 0 && host.connectionCount() + this.#pending.size >= max) {
      this.refusedOverCapacity++;
      rejectUpgrade(socket, 503, 'Too many connections', RETRY_AFTER);
      return;
    }
    const hook = host.hook();
    if (hook === undefined) {
      host.complete(req, socket, head);
      return;
    }
    this.#ask(hook, req, socket, head);
  };

  #ask(hook: UpgradeHook, req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const host = this.#host;
    // The client may vanish while the hook decides; that must not throw.
    socket.on('error', noop);
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      this.#pending.delete(refuse);
      socket.off('error', noop);
      return true;
    };
    const refuse = (status: number, reason?: string): void => {
      if (settle()) rejectUpgrade(socket, status, reason, status === 503 ? RETRY_AFTER : {});
    };
    const allow = (): void => {
      if (!settle()) return;
      if (!host.accepting()) rejectUpgrade(socket, 503, 'Server is shutting down', RETRY_AFTER);
      else if (!socket.destroyed) host.complete(req, socket, head);
    };
    const deny = (status?: number, reason?: string): void => {
      const code = Number.isInteger(status) && status! >= 400 && status! <= 599 ? status! : 403;
      refuse(code, typeof reason === 'string' ? reason : undefined);
    };
    this.#pending.add(refuse);
    const timer = setTimeout(() => refuse(503, 'Upgrade decision timed out'), host.options.upgradeTimeout);
    timer.unref();
    void host.router.invoke('onUpgrade', () => hook(req, allow, deny), null).then((result) => {
      if (!result.ok) refuse(500, 'Internal Server Error');
    });
  }
}

function pathname(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q === -1 ? u : u.slice(0, q);
}

function noop(): void {}
