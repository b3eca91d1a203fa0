// The router's side of a Session (its SessionHost). The application changes
// a session (join, leave, a new alias, send, broadcast, close); the bridge
// finds the session's connection and keeps the router's indexes and
// presence announcements in step with it.

import type { Codec } from './commands.js';
import { ExpiryClock, SESSION_EXPIRED } from './expiry.js';
import { writeText, type OutboundGate } from './fanout.js';
import type { PresencePacer } from './presence.js';
import type { Registry } from './registry.js';
import type { Recovery } from './retention.js';
import type { Session, SessionHost } from './session.js';

/** What the bridge needs from the router. */
export interface BridgeHost extends OutboundGate {
  readonly registry: Registry;
  readonly pacer: Pick<PresencePacer, 'changed'>;
  /** Server or handler broadcast: to all sessions or to one group's members. */
  broadcast(event: string, group: string | null, data: unknown, exceptId: string | null): number;
  readonly recovery: Recovery | null;
  readonly v1: Codec;
  readonly options: { readonly refreshNotice: number };
}

export class SessionBridge implements SessionHost {
  readonly #host: BridgeHost;
  readonly #registry: Registry;

  /** Session expiry: its `expiring` notices and 4001 closes go through the bridge. */
  readonly expiry: ExpiryClock;

  constructor(host: BridgeHost) {
    this.#host = host;
    this.#registry = host.registry;
    this.expiry = new ExpiryClock(host.options.refreshNotice, {
      notice: (session, remaining) => {
        const peer = this.#registry.peerOf(session);
        // A control notice, not an application push: not recorded for a resume
        // (the answer to a resume carries `expiresIn` instead).
        if (peer !== undefined && peer.codec.name === 'v1' && peer.ws.readyState === 1) peer.ws.send(JSON.stringify({ type: 'expiring', in: Math.round(remaining) }));
      },
      expire: (session) => this.closeSession(session, SESSION_EXPIRED, 'Session expired'),
    });
  }

  setExpiry(session: Session<unknown>, ms: number | null): void {
    this.expiry.set(session, ms);
  }
  expiryOf(session: Session<unknown>): number | null {
    return this.expiry.remaining(session);
  }

  groupJoined(session: Session<unknown>, group: string): void {
    const peer = this.#registry.peerOf(session);
    if (peer !== undefined) this.#registry.groupJoined(peer, group);
    this.#host.recovery?.joined(session, group);
  }
  groupLeft(session: Session<unknown>, group: string): void {
    const peer = this.#registry.peerOf(session);
    if (peer !== undefined) this.#registry.groupLeft(peer, group);
    this.#host.recovery?.left(session, group);
  }
  publicStateChanged(session: Session<unknown>): void {
    this.#host.recovery?.changed(session);
    const peer = this.#registry.peerOf(session);
    if (peer === undefined) return;
    this.#registry.refresh(peer);
    this.#host.pacer.changed(peer);
  }
  broadcastFrom(event: string, group: string | null, data: unknown, except: Session<unknown> | null): number {
    return this.#host.broadcast(event, group, data, except?.id ?? null);
  }
  sendTo(session: Session<unknown>, event: string, data: unknown): boolean {
    const peer = this.#registry.peerOf(session);
    const recovery = this.#host.recovery;
    if (recovery !== null && recovery.tracks(session.id)) {
      // Recorded in the session's own stream: a disconnected session gets it when it resumes.
      const text = recovery.push(session.id, this.#host.v1.event(event, null, data, null));
      // With a shared store it is written once the store has numbered it: true while connected.
      return peer !== undefined && (text === null || writeText(this.#host, peer, text));
    }
    return peer !== undefined && writeText(this.#host, peer, peer.codec.event(event, null, data, null));
  }
  queuedBytes(session: Session<unknown>): number {
    return this.#registry.peerOf(session)?.ws.bufferedAmount ?? 0;
  }
  closeSession(session: Session<unknown>, code: number, reason: string): void {
    const peer = this.#registry.peerOf(session);
    if (peer === undefined) {
      // A session waiting for a resume ends now.
      this.#host.recovery?.close(session);
      return;
    }
    // Closed on purpose: not kept for a resume.
    peer.ending = true;
    peer.ws.close(code, reason);
  }
}
