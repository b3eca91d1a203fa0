// Client-originated broadcasts. One message from one client becomes a write
// to every recipient, so besides the message rate each broadcast is bounded
// in size (`clientBroadcasts.maxSize`: a message the size of maxPayload,
// fanned out, would fill every reader's backpressure bound at once) and
// charged its size times its recipients against the sender's budget
// (`clientBroadcasts.bytesPerSecond`, ./budget.ts). Broadcasting to everyone
// is for the application to turn on (`clientBroadcasts.toEveryone`, or an
// onClientMessage verdict); into a group the sender belongs to is allowed.

import { performance } from 'node:perf_hooks';
import type { Adapter } from './adapter.js';
import { fullBudget, spend, waitFor } from './budget.js';
import type { Codec, Outcome } from './commands.js';
import { fail, isReservedEvent, ok } from './commands.js';
import { fanOut, type OutboundGate } from './fanout.js';
import type { HookRunner, RouterCounters } from './host.js';
import type { Peer, Registry } from './registry.js';
import { recordShared } from './broadcast.js';
import type { Recovery } from './retention.js';
import type { ClientMessage, Hooks, ResolvedOptions } from './types.js';

/** What vetting a client's message needs from the router. */
export interface VetHost extends HookRunner {
  readonly hooks: Pick<Hooks<unknown>, 'clientMessage'>;
}

/** What client broadcasts need from the router. */
export interface ClientBroadcastHost extends VetHost, OutboundGate {
  readonly options: Pick<ResolvedOptions, 'clientBroadcasts'>;
  readonly registry: Pick<Registry, 'byId' | 'members'>;
  readonly counters: Pick<RouterCounters, 'refusedBroadcasts'>;
  /** Our protocol's codec: a broadcast is rendered with it first, to learn its size. */
  readonly v1: Codec;
  readonly adapter: Pick<Adapter, 'shared' | 'broadcast' | 'remoteSessionCount' | 'recordBroadcast'>;
  /** Session recovery, when on: the broadcast is recorded once, with its position. */
  readonly recovery: Recovery | null;
}

/** Asks the application's vetting hook; false vetoes, true allows, undefined defers to the rules. */
export async function vet(router: VetHost, message: ClientMessage<unknown>): Promise<boolean | undefined | 'error'> {
  const hook = router.hooks.clientMessage;
  if (hook === undefined) return undefined;
  const result = await router.invoke('onClientMessage', () => hook(message), message.sender);
  if (!result.ok) return 'error';
  return typeof result.value === 'boolean' ? result.value : undefined;
}

export async function clientBroadcast(router: ClientBroadcastHost, peer: Peer, event: string, group: string | null, data: unknown): Promise<Outcome> {
  const sender = peer.session!;
  // Legacy clients could not tell such an event from a private message or a presence change.
  if (isReservedEvent(event)) return fail('bad_message', `event name "${event}" is reserved`);
  const limits = router.options.clientBroadcasts;
  // Rendered once: its size is what every v1 recipient gets, and the same
  // text becomes their frame (the legacy rendering is of about that size).
  const text = router.v1.event(event, group, data, sender.toPublic());
  const size = Buffer.byteLength(text);
  if (limits.maxSize > 0 && size > limits.maxSize) {
    router.counters.refusedBroadcasts++;
    return fail('too_large', `a client broadcast may be at most ${limits.maxSize} bytes (this one is ${size})`);
  }
  const verdict = await vet(router, { kind: 'broadcast', sender, event, group, data });
  if (verdict === 'error') return fail('internal_error', 'the broadcast could not be checked');
  const member = group !== null && sender.inGroup(group);
  const allowed = verdict ?? (group === null ? limits.toEveryone : member);
  if (!allowed) {
    if (group !== null && !member) return fail('forbidden', `not a member of group "${group}"`);
    return fail('forbidden', group === null ? 'clients may not broadcast to everyone on this server' : 'broadcast refused');
  }
  // The hook may have taken time; the sender may be gone.
  if (peer.state !== 'open') return fail('not_found', 'the session ended');
  const recipients = group === null ? router.registry.byId : router.registry.members(group);
  // Other nodes' recipients count too where this node knows them (everyone,
  // not a group: group membership stays on the node that holds a session).
  const count = recipients.size - (group === null || member ? 1 : 0) + (group === null ? router.adapter.remoteSessionCount : 0);
  if (limits.bytesPerSecond > 0 && count > 0) {
    const now = performance.now();
    peer.castBudget ??= fullBudget(limits.bytesPerSecond, now);
    if (!spend(peer.castBudget, limits.bytesPerSecond, size * count, now)) {
      router.counters.refusedBroadcasts++;
      // When it may be tried again: our client waits that long and resends it by itself.
      const retryAfter = Math.ceil(waitFor(peer.castBudget, limits.bytesPerSecond, now));
      return {
        ok: false,
        error: { code: 'rate_limited', message: 'over the broadcast budget (bytes × recipients per second); slow down', details: { retryAfter } },
      };
    }
  }
  const shared = recordShared(router, group, text, sender.id);
  if (shared !== null) return (await shared) ? ok(null) : fail('internal_error', 'the broadcast could not be recorded; try again');
  const from = sender.toPublic();
  const local = router.recovery === null ? text : router.recovery.appendBroadcast(group, text, sender.id);
  const render = (codec: Codec): string => (codec === router.v1 ? local : codec.event(event, group, data, from));
  fanOut(router, recipients.values(), render, peer);
  if (router.adapter.shared) router.adapter.broadcast({ group, except: sender.id, text });
  return ok(null);
}
