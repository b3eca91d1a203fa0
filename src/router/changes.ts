// Changes a client asks for to its own session: group membership and public
// alias. Group changes need onGroupChange's yes (without the hook, clients
// cannot make them); renames are allowed unless onAliasChange says no. Around the
// hook the router applies what no application should have to: caps on
// groups (a session in ever more groups costs memory without end) and
// one live holder per alias (a second one could take another user's name
// and the private messages addressed to it).

import type { Adapter } from './adapter.js';
import type { Outcome } from './commands.js';
import { fail, ok } from './commands.js';
import type { HookRunner, RouterCounters } from './host.js';
import type { Recovery } from './retention.js';
import type { Peer, Registry } from './registry.js';
import type { Hooks, ResolvedOptions } from './types.js';

/** What group and alias changes need from the router. */
export interface ChangeHost extends HookRunner {
  readonly options: Pick<ResolvedOptions, 'maxGroupsPerSession' | 'maxGroups'>;
  readonly hooks: Pick<Hooks<unknown>, 'groupChange' | 'aliasChange'>;
  readonly registry: Pick<Registry, 'members' | 'groupCount' | 'aliasHeldByOther'>;
  readonly counters: Pick<RouterCounters, 'refusedJoins'>;
  readonly adapter: Pick<Adapter, 'remoteByAlias'>;
  /** Session recovery, when on: a retained session's alias stays reserved. */
  readonly recovery: Pick<Recovery, 'aliasHeld'> | null;
}

/** Why joining `todo` would break a group cap, or null. */
function overGroupLimits(router: ChangeHost, peer: Peer, todo: string[]): string | null {
  const { maxGroupsPerSession, maxGroups } = router.options;
  if (maxGroupsPerSession > 0 && peer.session!.groups.size + todo.length > maxGroupsPerSession) {
    return `a session may be in at most ${maxGroupsPerSession} groups`;
  }
  if (maxGroups > 0) {
    const created = todo.filter((g) => router.registry.members(g).size === 0).length;
    if (created > 0 && router.registry.groupCount + created > maxGroups) return `the server has reached its limit of ${maxGroups} groups`;
  }
  return null;
}

/**
 * Client-requested membership changes. Every change needs the onGroupChange
 * hook's explicit true; without the hook, clients cannot change groups at
 * all (the original let anyone join "admin"). All-or-nothing. The answer
 * names the change only, `{ group, joined }`: a client keeps its own list,
 * so an answer does not grow with the number of groups.
 */
export async function changeGroups(router: ChangeHost, peer: Peer, groups: string[], join: boolean): Promise<Outcome> {
  const session = peer.session!;
  const answer = (): Outcome => ok(groups.length === 1 ? { group: groups[0], joined: join } : { groups: session.groupList() });
  const todo = groups.filter((g) => session.inGroup(g) !== join);
  if (todo.length === 0) return answer();
  const hook = router.hooks.groupChange;
  if (hook === undefined) return fail('forbidden', 'clients may not change their groups');
  const limit = (): Outcome | null => {
    const why = join ? overGroupLimits(router, peer, todo) : null;
    if (why === null) return null;
    router.counters.refusedJoins++;
    return fail('limit_reached', why);
  };
  // Checked before asking the hook (no work for a join that cannot happen),
  // and again after it: other joins may have happened meanwhile.
  const early = limit();
  if (early !== null) return early;
  for (const group of todo) {
    const result = await router.invoke('onGroupChange', () => hook(session, group, join), session);
    if (!result.ok) return fail('internal_error', 'the group change could not be checked');
    if (result.value !== true) return fail('forbidden', `${join ? 'joining' : 'leaving'} group "${group}" is not allowed`);
  }
  const late = limit();
  if (late !== null) return late;
  for (const group of todo) {
    if (join) session.join(group);
    else session.leave(group);
  }
  return answer();
}

/** True when a live session other than `peer`'s, on this node or another, holds `alias`. */
function aliasTaken(router: ChangeHost, alias: string, peer: Peer): boolean {
  // A session waiting for a resume keeps its alias reserved.
  return router.registry.aliasHeldByOther(alias, peer) || router.adapter.remoteByAlias(alias).length > 0 || (router.recovery?.aliasHeld(alias) ?? false);
}

/**
 * A client's `update`. Availability is the client's own to set; a new alias
 * must not be held by another live session (`alias_taken`, checked before
 * and after the hook) and, when the application registered onAliasChange,
 * needs its true. Each setter announces its change to the other available
 * clients.
 */
export async function update(router: ChangeHost, peer: Peer, alias: string | null | undefined, available: boolean | undefined): Promise<Outcome> {
  const session = peer.session!;
  if (alias !== undefined && alias !== session.alias) {
    const taken = (): boolean => alias !== null && aliasTaken(router, alias, peer);
    if (taken()) return fail('alias_taken', `the alias "${alias}" is in use`);
    const hook = router.hooks.aliasChange;
    if (hook !== undefined) {
      const result = await router.invoke('onAliasChange', () => hook(session, alias), session);
      if (!result.ok) return fail('internal_error', 'the alias change could not be checked');
      if (result.value !== true) return fail('forbidden', 'changing the alias is not allowed');
      if (taken()) return fail('alias_taken', `the alias "${alias}" is in use`);
    }
    session.setAlias(alias);
  }
  if (available !== undefined) session.setAvailable(available);
  return ok({ alias: session.alias, available: session.available });
}
