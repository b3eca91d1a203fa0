// What an authenticated client can do: requests, broadcasts, private
// messages, group changes, presence queries and updates. Each action applies
// the documented rules (docs/server.md, "Rules") and returns an Outcome that
// the client's codec turns into its reply.

import type { Command, Outcome, Target } from './commands.js';
import { fail, ok } from './commands.js';
import { RequestError, toWireError } from './errors.js';
import { writeText } from './fanout.js';
import type { Peer } from './registry.js';
import type { Router } from './router.js';
import type { Session } from './session.js';

export function runCommand(router: Router, peer: Peer, command: Command): Promise<Outcome> | Outcome {
  const session = peer.session!;
  switch (command.kind) {
    case 'request':
      return request(router, session, command.name, command.body);
    case 'echo':
      // Built into the legacy protocol: the client measures round trips with it.
      return ok({ echoAt: Date.now(), received: command.body });
    case 'broadcast':
      return clientBroadcast(router, peer, command.event, command.group, command.data);
    case 'private':
      return privateMessage(router, peer, command.to, command.data);
    case 'join':
      return changeGroups(router, session, [command.group], true);
    case 'leave':
      return changeGroups(router, session, [command.group], false);
    case 'leaveAll':
      return changeGroups(router, session, session.groupList(), false);
    case 'clients': {
      const list = [];
      for (const other of router.registry.available) {
        if (other !== peer && other.session!.visible) list.push(other.session!.toPublic());
      }
      return ok(list);
    }
    case 'getAlias':
      return ok(session.alias);
    case 'getAvailability':
      return ok(session.available);
    case 'update':
      // Each setter announces its own change to the other available clients.
      if (command.alias !== undefined) session.setAlias(command.alias);
      if (command.available !== undefined) session.setAvailable(command.available);
      return ok({ alias: session.alias, available: session.available });
    case 'auth':
      return fail('already_authenticated', 'already authenticated');
  }
}

function request(router: Router, session: Session<unknown>, name: string, body: unknown): Promise<Outcome> | Outcome {
  const handler = router.hooks.requests.get(name);
  if (handler === undefined) return fail('unknown_request', `no handler for request "${name}"`);
  return new Promise<Outcome>((resolve) => {
    let done = false;
    // First answer wins: a respond() call or a returned value, whichever comes first.
    const respond = (error: unknown, data?: unknown): void => {
      if (done) return;
      done = true;
      if (error === null || error === undefined || error === false) resolve(ok(data ?? null));
      else resolve({ ok: false, error: toWireError(error, 'request_failed'), raw: { error, response: data ?? null } });
    };
    const run = () => (handler as (...args: unknown[]) => unknown)(body, respond, session, session.groupList(), session);
    void router.invoke(`onRequest(${name})`, run, session).then((result) => {
      if (done) return;
      if (result.ok) {
        if (result.value === undefined) return; // the handler answers through respond()
        done = true;
        resolve(ok(result.value));
      } else {
        done = true;
        const wire = result.error instanceof RequestError ? result.error.toWire() : { code: 'internal_error' as const, message: 'the request handler failed' };
        resolve({ ok: false, error: wire, raw: { error: wire.message, response: null } });
      }
    });
  });
}

/** Asks the application's vetting hook; false vetoes, true allows, undefined defers to the rules. */
async function vet(router: Router, message: Parameters<NonNullable<Router['hooks']['clientMessage']>>[0]): Promise<boolean | undefined | 'error'> {
  const hook = router.hooks.clientMessage;
  if (hook === undefined) return undefined;
  const result = await router.invoke('onClientMessage', () => hook(message), message.sender);
  if (!result.ok) return 'error';
  return typeof result.value === 'boolean' ? result.value : undefined;
}

async function clientBroadcast(router: Router, peer: Peer, event: string, group: string | null, data: unknown): Promise<Outcome> {
  const sender = peer.session!;
  const verdict = await vet(router, { kind: 'broadcast', sender, event, group, data });
  if (verdict === 'error') return fail('internal_error', 'the broadcast could not be checked');
  // Default rule: everyone, or a group the sender belongs to.
  const allowed = verdict ?? (group === null || sender.inGroup(group));
  if (!allowed) return fail('forbidden', group !== null && !sender.inGroup(group) ? `not a member of group "${group}"` : 'broadcast refused');
  router.broadcast(event, group, data, peer, sender.toPublic());
  return ok(null);
}

function findTarget(router: Router, to: Target): Peer | null {
  if ('id' in to) return router.registry.byId.get(to.id) ?? null;
  let found: Peer | null = null;
  for (const candidate of router.registry.withAlias(to.alias)) {
    if (!candidate.session!.visible) continue;
    if (found !== null) return null; // ambiguous: the client must address by id
    found = candidate;
  }
  return found;
}

async function privateMessage(router: Router, peer: Peer, to: Target, data: unknown): Promise<Outcome> {
  const sender = peer.session!;
  // 0.2.1: only an available client with an alias may message others.
  if (!sender.visible) return fail('unavailable', 'you are not available; set an alias and availability first');
  const target = findTarget(router, to);
  if (target === null || !target.session!.visible) return fail('not_found', 'client not found');
  const receiver = target.session!;
  const verdict = await vet(router, { kind: 'private', sender, receiver, data });
  if (verdict === 'error') return fail('internal_error', 'the message could not be checked');
  if (verdict === false) return fail('forbidden', 'message refused');
  // The hook may have taken time: the receiver must still be there and visible.
  if (target.state !== 'open' || !receiver.visible) return fail('not_found', 'client not found');
  // Refused by the receiver's backpressure policy counts as unreachable: it is not reading.
  if (!writeText(router, target, target.codec.privateMessage(sender.toPublic(), data))) return fail('not_found', 'client not found');
  const hook = router.hooks.privateMessage;
  if (hook !== undefined) void router.invoke('onPrivateMessage', () => hook(sender, receiver, data), sender);
  return ok(null);
}

/**
 * Client-requested membership changes. Every change needs the onGroupChange
 * hook's explicit true; without the hook, clients cannot change groups at
 * all (the original let anyone join "admin"). All-or-nothing.
 */
async function changeGroups(router: Router, session: Session<unknown>, groups: string[], join: boolean): Promise<Outcome> {
  const todo = groups.filter((g) => session.inGroup(g) !== join);
  if (todo.length === 0) return ok({ groups: session.groupList() });
  const hook = router.hooks.groupChange;
  if (hook === undefined) return fail('forbidden', 'clients may not change their groups');
  for (const group of todo) {
    const result = await router.invoke('onGroupChange', () => hook(session, group, join), session);
    if (!result.ok) return fail('internal_error', 'the group change could not be checked');
    if (result.value !== true) return fail('forbidden', `${join ? 'joining' : 'leaving'} group "${group}" is not allowed`);
  }
  for (const group of todo) {
    if (join) session.join(group);
    else session.leave(group);
  }
  return ok({ groups: session.groupList() });
}
