// Refreshing a live session (docs/protocol.md, "Refreshing a session"): the
// client sends new credentials on the connection it has; the application's
// onAuthentication hook judges them, exactly as for a login, so a user who
// was revoked meanwhile is refused. What the hook passes to startSession()
// does not replace the session (it keeps its id, data, groups and public
// state); only its `expiresIn` applies. A refusal leaves the session as it
// was, expiry included: it ends then unless a later refresh succeeds.

import type { Outcome } from './commands.js';
import { fail, ok } from './commands.js';
import { HookError, RequestError, toWireError } from './errors.js';
import type { HookRunner } from './host.js';
import type { Peer } from './registry.js';
import type { Hooks, SessionStartOptions } from './types.js';
import type { RefreshAnswer } from './wire.js';

/** What a refresh needs from the router. */
export interface RefreshHost extends HookRunner {
  readonly hooks: Pick<Hooks<unknown>, 'authentication'>;
  reportError(error: HookError): void;
}

export function refresh(router: RefreshHost, peer: Peer, credentials: unknown): Promise<Outcome> {
  const session = peer.session!;
  const hook = router.hooks.authentication;
  if (hook === undefined) return Promise.resolve(fail('auth_failed', 'the server accepts no authentication'));
  return new Promise<Outcome>((resolve) => {
    let started = false;
    let expiresIn: number | null | undefined;
    let done = false;
    const startSession = (_data: unknown, _groups?: unknown, _alias?: unknown, _available?: unknown, _publicData?: unknown, options?: SessionStartOptions): void => {
      if (done) return;
      started = true;
      expiresIn = checkExpiresIn(options);
    };
    const respond = (error: unknown, clientSide?: unknown): void => {
      if (done) return;
      done = true;
      if (error !== null && error !== undefined && error !== false) {
        const wire = toWireError(error, 'auth_failed');
        resolve({ ok: false, error: { ...wire, code: 'auth_failed' }, raw: { error, response: clientSide ?? null } });
        return;
      }
      if (!started) {
        router.reportError(new HookError('onAuthentication', new Error('respond(null) was called without startSession()'), session.id));
        resolve(fail('internal_error', 'authentication failed on the server'));
        return;
      }
      // The new expiry replaces the old one; none given lifts it (as a fresh login would have none).
      if (session.connected) session.setExpiry(expiresIn ?? null);
      const answer: RefreshAnswer = { session: clientSide ?? null, expiresIn: session.expiresIn };
      resolve(ok(answer));
    };
    // The upgrade request is released when a session starts (an idle session
    // does not keep its headers alive): a refresh's hook gets null for it, and
    // the session it renews, to check the credentials are its user's.
    void router.invoke('onAuthentication', () => hook(credentials, startSession, respond, null, { kind: 'refresh', session }), session).then((result) => {
      if (!result.ok && !done) {
        done = true;
        const error = result.error instanceof RequestError ? { ...result.error.toWire(), code: 'auth_failed' as const } : { code: 'internal_error' as const, message: 'authentication failed on the server' };
        resolve({ ok: false, error });
      }
    });
  });
}

/** startSession()'s 6th argument, checked: a bad `expiresIn` is the application's error. */
export function checkExpiresIn(options: SessionStartOptions | undefined): number | null {
  const ms = options?.expiresIn;
  if (ms === undefined || ms === null) return null;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new TypeError('startSession: expiresIn must be a non-negative number of milliseconds or null');
  return ms;
}
