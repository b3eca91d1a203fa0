// Admission: which upgrade requests a server takes before the handshake.
// One policy for both servers (the ws-compatible WebSocketServer and the
// application server): the path, shutdown, a server's own requirement,
// browser origins and the connection bound, in that order, each refused
// with a real HTTP status. Handshakes waiting for an asynchronous decision
// (verifyClient, onUpgrade) hold a place against maxConnections.

import type { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Refusal } from '../handshake/server.js';
import { refuse } from './refuse.js';

/** Sent with every 503, so well-behaved clients wait before trying again. */
export const RETRY_AFTER: Readonly<Record<string, string>> = Object.freeze({ 'Retry-After': '5' });

export const SHUTTING_DOWN: Refusal = Object.freeze({ status: 503, message: 'Server is shutting down', headers: RETRY_AFTER });
export const NO_ENDPOINT: Refusal = Object.freeze({ status: 400, message: 'No WebSocket endpoint at this path' });
const ORIGIN_NOT_ALLOWED: Refusal = Object.freeze({ status: 403, message: 'Origin not allowed' });
const OVER_CAPACITY: Refusal = Object.freeze({ status: 503, message: 'Too many connections', headers: RETRY_AFTER });

export interface AdmissionPolicy {
  /** Only upgrades to this pathname (query ignored); undefined: every path. */
  path?: string;
  /** Browser origins allowed (exact match); undefined or null: any. */
  allowedOrigins?: readonly string[] | null;
  /** Connections at once, open plus pending; 0 or undefined: no bound. */
  maxConnections?: number;
}

/** What admission counts (the server's stats object, or a part of it). */
export interface AdmissionCounters {
  refusedOverCapacity: number;
  /** Counted when the server reports it. */
  refusedOrigin?: number;
}

export interface AdmissionHost {
  /** False once the server is shutting down. */
  accepting(): boolean;
  /** Connections the server holds now (open or closing). */
  connections(): number;
  readonly counters: AdmissionCounters;
  /** The server's own requirement, checked after shutdown and path, before origin and capacity. */
  require?(req: IncomingMessage): Refusal | null;
}

export class Admission {
  readonly #policy: AdmissionPolicy;
  readonly #host: AdmissionHost;
  #pending = 0;

  constructor(policy: AdmissionPolicy, host: AdmissionHost) {
    this.#policy = policy;
    this.#host = host;
  }

  /** Handshakes holding a place while an asynchronous decision is pending. */
  get pending(): number {
    return this.#pending;
  }

  /** Whether the request is for this server's path. */
  matchesPath(req: IncomingMessage): boolean {
    const path = this.#policy.path;
    return path === undefined || pathname(req.url) === path;
  }

  /** The refusal for this request, or null when it may proceed to the handshake. */
  check(req: IncomingMessage): Refusal | null {
    const host = this.#host;
    if (!host.accepting()) return SHUTTING_DOWN;
    if (!this.matchesPath(req)) return NO_ENDPOINT;
    const own = host.require?.(req) ?? null;
    if (own !== null) return own;
    // Cross-site WebSocket hijacking: browsers always send Origin; other
    // clients may omit it and are let through (they are not a browser's victims).
    const allowed = this.#policy.allowedOrigins;
    const origin = req.headers.origin;
    if (allowed != null && origin !== undefined && !allowed.includes(origin)) {
      if (host.counters.refusedOrigin !== undefined) host.counters.refusedOrigin++;
      return ORIGIN_NOT_ALLOWED;
    }
    const max = this.#policy.maxConnections ?? 0;
    if (max > 0 && host.connections() + this.#pending >= max) {
      host.counters.refusedOverCapacity++;
      return OVER_CAPACITY;
    }
    return null;
  }

  /**
   * Holds a place against maxConnections while a decision is pending;
   * returns its release (safe to call more than once).
   */
  hold(): () => void {
    this.#pending++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#pending--;
    };
  }
}

/**
 * An upgrade for a path this server does not own. Another server (or
 * handler) on the same http server may own it, so it is answered 400 only
 * when nobody else listens.
 */
export function notOurPath(server: EventEmitter, socket: Duplex): void {
  if (server.listenerCount('upgrade') <= 1) refuse(socket, NO_ENDPOINT);
}

function pathname(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q === -1 ? u : u.slice(0, q);
}
