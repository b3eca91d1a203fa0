// The upgrade gate of the application server: every HTTP upgrade request
// passes here before the WebSocket handshake. Admission is the session
// layer's policy (src/session/admission.ts: path, shutdown, browser origin,
// capacity); what is the router's own is the required subprotocol, checked
// in admission's order, and the application's onUpgrade hook, which decides
// within upgradeTimeout. Upgrades waiting for the hook hold a place against
// maxConnections, and a shutdown refuses them at once.

import type * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { splitTokens, type Refusal } from '../handshake/index.js';
import { Admission, RETRY_AFTER, SHUTTING_DOWN, notOurPath, type AdmissionCounters } from '../session/admission.js';
import { refuse } from '../session/refuse.js';
import { PROTOCOL_V1 } from './wire.js';
import type { HookRunner as Router } from './host.js';
import type { ResolvedOptions, UpgradeHook } from './types.js';

const PROTOCOL_REQUIRED: Refusal = Object.freeze({ status: 400, message: `This server requires the ${PROTOCOL_V1} subprotocol` });

export interface GateHost {
  readonly options: ResolvedOptions;
  readonly router: Router;
  readonly http: http.Server | import('node:https').Server;
  /** Where admission counts its refusals (the server's stats). */
  readonly counters: Required<AdmissionCounters>;
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
  readonly #admission: Admission;
  /** The refusal of each upgrade waiting for the onUpgrade hook (their places are held by admission). */
  readonly #pending = new Set<(status: number, reason?: string) => void>();

  constructor(host: GateHost) {
    this.#host = host;
    const options = host.options;
    this.#admission = new Admission(options, {
      accepting: () => host.accepting(),
      connections: () => host.connectionCount(),
      counters: host.counters,
      require: (req) =>
        options.legacyProtocol || splitTokens(req.headers['sec-websocket-protocol']).includes(PROTOCOL_V1) ? null : PROTOCOL_REQUIRED,
    });
  }

  /** Shutdown: answer every upgrade still waiting for the hook with 503. */
  refuseAll(): void {
    for (const deny of [...this.#pending]) deny(503, 'Server is shutting down');
  }

  handle = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    const host = this.#host;
    if (!this.#admission.matchesPath(req)) {
      notOurPath(host.http, socket);
      return;
    }
    const refusal = this.#admission.check(req);
    if (refusal !== null) {
      refuse(socket, refusal);
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
    const release = this.#admission.hold();
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      release();
      this.#pending.delete(refuseWith);
      socket.off('error', noop);
      return true;
    };
    const refuseWith = (status: number, reason?: string): void => {
      if (settle()) refuse(socket, { status, message: reason, headers: status === 503 ? RETRY_AFTER : undefined });
    };
    const allow = (): void => {
      if (!settle()) return;
      if (!host.accepting()) refuse(socket, SHUTTING_DOWN);
      else if (!socket.destroyed) host.complete(req, socket, head);
    };
    const deny = (status?: number, reason?: string): void => {
      const code = Number.isInteger(status) && status! >= 400 && status! <= 599 ? status! : 403;
      refuseWith(code, typeof reason === 'string' ? reason : undefined);
    };
    this.#pending.add(refuseWith);
    const timer = setTimeout(() => refuseWith(503, 'Upgrade decision timed out'), host.options.upgradeTimeout);
    timer.unref();
    void host.router.invoke('onUpgrade', () => hook(req, allow, deny), null).then((result) => {
      if (!result.ok) refuseWith(500, 'Internal Server Error');
    });
  }
}

function noop(): void {}
