// Authentication: runs the application's onAuthentication hook for one
// `auth` message and turns its answer into an Outcome. The first answer
// wins; a hook that throws, rejects or answers `respond(null)` without
// startSession() is a server error, never a session.

import type { Outcome, ResumeRequest } from './commands.js';
import { fail, ok } from './commands.js';
import { HookError, RequestError, toWireError } from './errors.js';
import type { HookRunner } from './host.js';
import type { Peer } from './registry.js';
import { checkExpiresIn } from './refresh.js';
import { resumeOn, type ResumeHost } from './resume.js';
import type { Recovery, Track } from './retention.js';
import type { Session } from './session.js';
import type { AuthContext, Hooks, ResolvedOptions, SessionStartOptions } from './types.js';
import type { AnnouncedLimits, AuthAnswer } from './wire.js';

/** What startSession() collected, applied once the hook answers. */
export interface SessionInit {
  data: unknown;
  groups: string[];
  alias: string | null;
  available: boolean;
  publicData: unknown;
  /** startSession()'s `expiresIn` (ms), applied once the session is registered. */
  expiresIn: number | null;
}

/** What authentication needs from the router. */
export interface AuthHost extends HookRunner, ResumeHost {
  readonly options: Pick<ResolvedOptions, 'maxInflight' | 'rateLimit' | 'maxPayload'>;
  /** Session recovery, when on (./retention.ts). */
  readonly recovery: Recovery | null;
  readonly hooks: Pick<Hooks<unknown>, 'authentication'>;
  reportError(error: HookError): void;
  /** Turns a successful authentication into a registered, announced session. */
  startSession(peer: Peer, init: SessionInit): Session<unknown>;
}

/**
 * With session recovery, an auth that names a retained session and its
 * token resumes it: the hook still runs (a revoked user cannot come back),
 * but what it passes to startSession() is not applied, since the session
 * keeps its id, data, groups and public state. A refusal ends the retained
 * session. A resume that names no session it may have is a fresh auth.
 */
export function authenticate(router: AuthHost, peer: Peer, credentials: unknown, resume: ResumeRequest | null = null): Promise<Outcome> {
  if (peer.state === 'open') return Promise.resolve(fail('already_authenticated', 'already authenticated'));
  if (peer.state === 'authenticating') return Promise.resolve(fail('already_authenticated', 'authentication already in progress'));
  const hook = router.hooks.authentication;
  if (hook === undefined) {
    peer.authAttempts++;
    return Promise.resolve(fail('auth_failed', 'the server accepts no authentication'));
  }
  peer.state = 'authenticating';
  const recovery = peer.codec.name === 'v1' ? router.recovery : null;
  const claim = recovery !== null && resume !== null ? recovery.claim(resume) : null;
  if (!(claim instanceof Promise)) return run(router, peer, credentials, resume, recovery, claim);
  // Asked of the shared store: the connection may leave meanwhile.
  return claim.then((claimed) => {
    if (peer.state === 'authenticating') return run(router, peer, credentials, resume, recovery, claimed);
    if (claimed !== null) recovery!.release(claimed);
    return fail('not_found', 'the connection closed');
  });
}

function run(router: AuthHost, peer: Peer, credentials: unknown, resume: ResumeRequest | null, recovery: Recovery | null, claimed: Track | null): Promise<Outcome> {
  const hook = router.hooks.authentication!;
  const req = peer.req!;
  const context: AuthContext<unknown> = claimed === null ? { kind: 'login', session: null } : { kind: 'resume', session: claimed.session };
  return new Promise<Outcome>((resolve) => {
    let pending: SessionInit | null = null;
    let done = false;
    const refuse = (outcome: Outcome): void => {
      if (claimed !== null) recovery!.refuse(claimed);
      if (peer.state === 'authenticating') peer.state = 'new';
      peer.authAttempts++;
      resolve(outcome);
    };
    const startSession = (data: unknown, groups?: Iterable<string>, alias: string | null = null, available = true, publicData: unknown = null, options?: SessionStartOptions): void => {
      if (done) return;
      const list = groups === undefined || groups === null ? [] : [...groups];
      if (!list.every((g) => typeof g === 'string' && g !== '')) throw new TypeError('startSession: groups must be non-empty strings');
      if (alias !== null && alias !== undefined && (typeof alias !== 'string' || alias === '')) throw new TypeError('startSession: publicAlias must be a non-empty string or null');
      if (typeof available !== 'boolean') throw new TypeError('startSession: available must be a boolean');
      const expiresIn = checkExpiresIn(options);
      pending = { data: data ?? {}, groups: list, alias: alias ?? null, available, publicData: publicData ?? null, expiresIn };
    };
    const respond = (error: unknown, clientSide?: unknown): void => {
      if (done) return;
      done = true;
      if (error !== null && error !== undefined && error !== false) {
        const wire = toWireError(error, 'auth_failed');
        refuse({ ok: false, error: { ...wire, code: 'auth_failed' }, raw: { error, response: clientSide ?? null } });
      } else if (claimed !== null && recovery!.holds(claimed)) {
        // A resume: the session comes back as it was, whatever startSession() was given.
        const session = claimed.session;
        // An expired session cannot be resumed, as if its user were revoked.
        if (session.expiresIn === 0) {
          refuse(fail('auth_failed', 'the session expired'));
          return;
        }
        if (!resumeOn(router, peer, session)) {
          recovery!.release(claimed);
          resolve(fail('not_found', 'the connection closed'));
          return;
        }
        void recovery!.resume(peer, claimed, resume!.positions).then(({ token, recovered }) => {
          const answer: AuthAnswer = {
            self: { ...session.toPublic(), groups: session.groupList() }, session: clientSide ?? null, limits: announcedLimits(router.options),
            resumed: true, recovered, recovery: { token, ttl: recovery!.options.maxDisconnection },
          };
          // The session keeps its expiry: the client learns what is left of it.
          if (session.expiresIn !== null) answer.expiresIn = session.expiresIn;
          resolve(ok(answer));
        });
      } else if (pending === null) {
        router.reportError(new HookError('onAuthentication', new Error('respond(null) was called without startSession()')));
        refuse(fail('internal_error', 'authentication failed on the server'));
      } else {
        const session = router.startSession(peer, pending);
        if (pending.expiresIn !== null && session.connected) session.setExpiry(pending.expiresIn);
        const answer: AuthAnswer = { self: { ...session.toPublic(), groups: session.groupList() }, session: clientSide ?? null, limits: announcedLimits(router.options) };
        if (session.expiresIn !== null) answer.expiresIn = session.expiresIn;
        if (recovery !== null) {
          // A session that ended at once (its client left meanwhile) is not kept.
          const token = session.connected ? recovery.takeToken(session) : '';
          Object.assign(answer, { resumed: false, recovered: false, recovery: { token, ttl: recovery.options.maxDisconnection } });
        }
        resolve(ok(answer));
      }
    };
    void router.invoke('onAuthentication', () => hook(credentials, startSession, respond, req, context), null).then((result) => {
      if (!result.ok && !done) {
        done = true;
        const error = result.error instanceof RequestError ? { ...result.error.toWire(), code: 'auth_failed' as const } : { code: 'internal_error' as const, message: 'authentication failed on the server' };
        refuse({ ok: false, error });
      }
    });
  });
}

/** The limits a client must keep (AnnouncedLimits), from the server's options. */
export function announcedLimits(o: AuthHost['options']): AnnouncedLimits {
  const rate = o.rateLimit === false ? null : { messagesPerSecond: o.rateLimit.messagesPerSecond, burst: o.rateLimit.burst };
  return { maxInflight: o.maxInflight, rate, maxPayload: o.maxPayload };
}
