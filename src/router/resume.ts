// The router's side of session recovery (./retention.ts's RecoveryHost):
// putting a retained session on a new connection, dropping a connection a
// resume supersedes, and letting the session into live delivery once its
// replay is written. Kept apart so the router stays one job.

import type { Adapter } from './adapter.js';
import { HookError } from './errors.js';
import { writeText, type OutboundGate } from './fanout.js';
import type { Peer, Registry } from './registry.js';
import type { RecoveryHost } from './retention.js';
import { Session } from './session.js';
import type { SessionHost } from './session.js';
import type { SessionRecord, SharedHistory } from './shared-history.js';
import type { RecoveryOptions } from './types.js';

const OPEN = 1;

/** What resuming needs from the router. */
export interface ResumeHost extends OutboundGate {
  readonly closing: boolean;
  readonly adapter: Pick<Adapter, 'sessionMoved' | 'whenInterested'>;
  /** What sessions are made with (the router's session bridge). */
  readonly sessionHost: SessionHost;
  reportError(error: HookError): void;
  readonly registry: Pick<Registry, 'peerOf' | 'hold' | 'release'>;
  /** Runs the close path of a connection (retains or ends its session). */
  connectionClosed(peer: Peer, code: number, reason: string): void;
  /** Runs onConnectionClose, once. */
  sessionEnded(session: Session<unknown>, code: number, reason: string): void;
  /** Indexes a resumed session for live pushes and announces it. */
  resumed(peer: Peer, recovered: boolean): void;
}

/**
 * Attaches a retained session to the connection that resumes it; the
 * session is not indexed for live pushes yet (its replay comes first).
 * False when that connection left meanwhile.
 */
export function resumeOn(host: ResumeHost, peer: Peer, session: Session<unknown>): boolean {
  peer.session = session;
  // Only the authentication hook needs the upgrade request.
  peer.req = null;
  if (peer.authTimer !== null) clearTimeout(peer.authTimer);
  peer.authTimer = null;
  if (peer.state === 'closed' || peer.ws.readyState !== OPEN) {
    // Not open: the close path sees no session yet (state 'authenticating'), so it only cleans up.
    peer.session = null;
    if (peer.state !== 'closed') host.connectionClosed(peer, 1006, '');
    return false;
  }
  peer.state = 'open';
  session.setLive(true);
  return true;
}

export class RecoveryLink implements RecoveryHost {
  readonly #host: ResumeHost;

  constructor(host: ResumeHost) {
    this.#host = host;
  }

  get closing(): boolean {
    return this.#host.closing;
  }
  connectionOf(session: Session<unknown>): Peer | undefined {
    return this.#host.registry.peerOf(session);
  }
  /** A connection superseded by a resume (half-open: its close would come late or never). */
  dropConnection(peer: Peer): void {
    peer.ws.terminate();
    this.#host.connectionClosed(peer, 1006, '');
  }
  attach(peer: Peer, recovered: boolean): void {
    this.#host.resumed(peer, recovered);
  }
  ended(session: Session<unknown>, code: number, reason: string): void {
    this.#host.sessionEnded(session, code, reason);
  }
  hold(group: string): void {
    this.#host.registry.hold(group);
  }
  release(group: string): void {
    this.#host.registry.release(group);
  }
  write(peer: Peer, text: string): boolean {
    return writeText(this.#host, peer, text);
  }
  /** A session saved by another node (or an earlier process), as it was: id, data, groups, alias, expiry. */
  restore(id: string, record: SessionRecord): Session<unknown> {
    const { data, groups, alias, available, publicData } = record;
    const session = new Session<unknown>(this.#host.sessionHost, { id, protocol: 'v1', data: data ?? {}, groups, alias, available, publicData });
    if (record.expiry !== null) session.setExpiry(Math.max(0, record.expiry - Date.now()));
    return session;
  }
  moved(id: string, node: string): void {
    this.#host.adapter.sessionMoved?.(id, node);
  }
  interested(group: string | null): Promise<void> {
    return this.#host.adapter.whenInterested?.(group) ?? Promise.resolve();
  }
  expiryOf(session: Session<unknown>): number | null {
    return session.expiresIn;
  }
  unsaved(session: Session<unknown>, error: unknown): void {
    this.#host.reportError(new HookError('session recovery (the session data is not JSON; it cannot be resumed elsewhere)', error, session.id));
  }
}

/** The shared recovery store of the server's adapter (the Redis adapter's), or null. */
export function sharedStoreOf(adapter: Adapter, options: Required<RecoveryOptions>): { store: SharedHistory; node: string } | null {
  const store = adapter.sharedHistory?.({ maxMessages: options.maxMessages, maxAge: options.maxDisconnection }) ?? null;
  return store === null || adapter.nodeId === undefined ? null : { store, node: adapter.nodeId };
}
