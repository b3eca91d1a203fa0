// What the router's modules ask of the router they run in, where several
// ask the same: running an application hook, and the counters of what the
// limits did. Each module declares the rest of its host beside its own code:
// OutboundGate in ./fanout.ts, ActionHost in ./actions.ts, AuthHost in
// ./auth.ts, ChangeHost in ./changes.ts, ClientBroadcastHost in
// ./client-broadcast.ts, PresenceHost in ./presence.ts, BridgeHost in
// ./session-bridge.ts, BroadcastHost in ./broadcast.ts, ResumeHost in
// ./resume.ts; ./router.ts implements them (the bridge implements
// ./session.ts's SessionHost, and ./resume.ts's RecoveryLink the
// RecoveryHost of ./retention.ts). So no module but the server
// imports the router, and the router's import graph has no cycle. Types
// only: nothing here exists at run time.

import type { Session } from './session.js';

/** What running an application hook came to: its value, or what it threw. */
export type Invoked = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Runs application hooks. */
export interface HookRunner {
  /**
   * Runs `fn` (an application hook); a throw or rejection is reported as the
   * server's 'error' under `hook`'s name (unless it is a RequestError, which
   * is an answer), never propagated.
   */
  invoke(hook: string, fn: () => unknown, session: Session<unknown> | null): Promise<Invoked>;
}

/** Counters of what the router's limits did (see ServerStats). */
export interface RouterCounters {
  dropped: number;
  closedForBackpressure: number;
  rateLimited: number;
  closedForRate: number;
  authTimeouts: number;
  refusedBroadcasts: number;
  refusedJoins: number;
}
