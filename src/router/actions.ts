// What an authenticated client can do: requests, broadcasts, private
// messages, group changes, presence queries and updates. Each action applies
// the documented rules (docs/server.md, "Rules") and returns an Outcome that
// the client's codec turns into its reply. Broadcasts are in
// ./client-broadcast.ts, group and alias changes in ./changes.ts.

import type { Adapter, RemoteClient } from './adapter.js';
import { changeGroups, update, type ChangeHost } from './changes.js';
import { clientBroadcast, vet, type ClientBroadcastHost } from './client-broadcast.js';
import type { Command, Outcome, Target } from './commands.js';
import { fail, ok } from './commands.js';
import { RequestError, toWireError } from './errors.js';
import { writeText } from './fanout.js';
import type { Peer, Registry } from './registry.js';
import { refresh, type RefreshHost } from './refresh.js';
import { RemoteSession } from './remote-session.js';
import type { Session } from './session.js';
import type { Hooks } from './types.js';
import type { PublicClient } from './wire.js';

/**
 * What an authenticated client's commands need from the router: what
 * requests and private messages use, and what ./changes.ts and
 * ./client-broadcast.ts need for the commands handed on to them.
 */
export type ActionHost = ChangeHost &
  ClientBroadcastHost &
  RefreshHost & {
    readonly hooks: Pick<Hooks<unknown>, 'requests' | 'privateMessage' | 'authentication'>;
    readonly registry: Pick<Registry, 'available' | 'byId' | 'withAlias'>;
    readonly adapter: Pick<Adapter, 'shared' | 'broadcast' | 'remoteSessionCount' | 'remoteById' | 'remoteByAlias' | 'remoteClients' | 'sendPrivate'>;
  };

export function runCommand(router: ActionHost, peer: Peer, command: Command): Promise<Outcome> | Outcome {
  const session = peer.session!;
  switch (command.kind) {
    case 'refresh':
      return refresh(router, peer, command.credentials);
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
      return changeGroups(router, peer, [command.group], true);
    case 'leave':
      return changeGroups(router, peer, [command.group], false);
    case 'leaveAll':
      return changeGroups(router, peer, session.groupList(), false);
    case 'clients': {
      const list = [];
      for (const other of router.registry.available) {
        if (other !== peer && other.session!.visible) list.push(other.session!.toPublic());
      }
      // The sessions of the other nodes (with a remote adapter): the listing is cluster-wide.
      for (const other of router.adapter.remoteClients()) {
        if (other.available && other.alias !== null) list.push(publicOf(other));
      }
      return ok(list);
    }
    case 'getAlias':
      return ok(session.alias);
    case 'getAvailability':
      return ok(session.available);
    case 'update':
      return update(router, peer, command.alias, command.available);
    case 'auth':
      return fail('already_authenticated', 'already authenticated');
  }
}

function request(router: ActionHost, session: Session<unknown>, name: string, body: unknown): Promise<Outcome> | Outcome {
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
    const context = Object.freeze({ session, respond });
    const run = () => (handler as (body: unknown, context: unknown) => unknown)(body, context);
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

/** A remote client's public view, without the node it is on. */
function publicOf(client: RemoteClient): PublicClient {
  return { id: client.id, alias: client.alias, available: client.available, publicData: client.publicData, connected: true };
}

/**
 * The session a private message is addressed to, on this node (a Peer) or
 * another (a RemoteClient). An alias names a session only when exactly one
 * live session holds it across every node, visible or not: were hidden
 * holders skipped, a message for one would reach whoever else uses the
 * alias. The caller then requires the target to be visible.
 */
function findTarget(router: ActionHost, to: Target): Peer | RemoteClient | null {
  if ('id' in to) return router.registry.byId.get(to.id) ?? router.adapter.remoteById(to.id);
  let found: Peer | RemoteClient | null = null;
  for (const candidate of router.registry.withAlias(to.alias)) {
    if (found !== null) return null; // ambiguous: the client must address by id
    found = candidate;
  }
  const remote = router.adapter.remoteByAlias(to.alias);
  if (remote.length === 0) return found;
  return found === null && remote.length === 1 ? remote[0]! : null;
}

async function privateMessage(router: ActionHost, peer: Peer, to: Target, data: unknown): Promise<Outcome> {
  const sender = peer.session!;
  // 0.2.1: only an available client with an alias may message others.
  if (!sender.visible) return fail('unavailable', 'you are not available; set an alias and availability first');
  const target = findTarget(router, to);
  if (target !== null && !('ws' in target)) return remotePrivateMessage(router, sender, target, data);
  if (target === null) return retainedPrivateMessage(router, sender, to, data);
  if (!target.session!.visible) return fail('not_found', 'client not found');
  const receiver = target.session!;
  const verdict = await vet(router, { kind: 'private', sender, receiver, data });
  if (verdict === 'error') return fail('internal_error', 'the message could not be checked');
  if (verdict === false) return fail('forbidden', 'message refused');
  // The hook may have taken time: the receiver must still be there and visible.
  if (target.state !== 'open' || !receiver.visible) return fail('not_found', 'client not found');
  // With recovery, recorded in the receiver's stream (once: this text is what it gets).
  const recovery = router.recovery;
  const recorded = recovery !== null && recovery.tracks(receiver.id);
  const text = recorded ? recovery.push(receiver.id, router.v1.privateMessage(sender.toPublic(), data)) : target.codec.privateMessage(sender.toPublic(), data);
  // Refused by the receiver's backpressure policy counts as unreachable: it is not reading
  // (unless recorded: then it is replayed if the receiver resumes; with a shared store it is written once numbered).
  if (text !== null && !writeText(router, target, text) && !recorded) return fail('not_found', 'client not found');
  const hook = router.hooks.privateMessage;
  if (hook !== undefined) void router.invoke('onPrivateMessage', () => hook(sender, receiver, data), sender);
  return ok(null);
}

/**
 * A private message to a session waiting for a resume (session recovery):
 * recorded in its stream and delivered when it comes back. Addressed by
 * alias, it must be the only holder of the alias, like a live session.
 */
async function retainedPrivateMessage(router: ActionHost, sender: Session<unknown>, to: Target, data: unknown): Promise<Outcome> {
  const recovery = router.recovery;
  if (recovery === null) return fail('not_found', 'client not found');
  let receiver: Session<unknown> | undefined;
  if ('id' in to) receiver = recovery.retainedSession(to.id);
  else {
    for (const held of recovery.retainedWithAlias(to.alias)) {
      if (receiver !== undefined) return fail('not_found', 'client not found');
      receiver = held;
    }
  }
  if (receiver === undefined || !receiver.visible) return fail('not_found', 'client not found');
  const verdict = await vet(router, { kind: 'private', sender, receiver, data });
  if (verdict === 'error') return fail('internal_error', 'the message could not be checked');
  if (verdict === false) return fail('forbidden', 'message refused');
  if (!recovery.tracks(receiver.id) || !receiver.visible) return fail('not_found', 'client not found');
  const text = router.v1.privateMessage(sender.toPublic(), data);
  // Live again meanwhile: delivered now; else recorded for its resume.
  const peer = router.registry.byId.get(receiver.id);
  const recorded = recovery.push(receiver.id, text);
  if (peer !== undefined && recorded !== null) writeText(router, peer, recorded);
  const hook = router.hooks.privateMessage;
  if (hook !== undefined) void router.invoke('onPrivateMessage', () => hook(sender, receiver, data), sender);
  return ok(null);
}

/** A private message to a session on another node: vetted here, delivered there, answered when that node says it was. */
async function remotePrivateMessage(router: ActionHost, sender: Session<unknown>, target: RemoteClient, data: unknown): Promise<Outcome> {
  if (!target.available || target.alias === null) return fail('not_found', 'client not found');
  const receiver = new RemoteSession(target);
  const verdict = await vet(router, { kind: 'private', sender, receiver, data });
  if (verdict === 'error') return fail('internal_error', 'the message could not be checked');
  if (verdict === false) return fail('forbidden', 'message refused');
  // The receiving node checks again that the receiver is there, visible and reading.
  if (!(await router.adapter.sendPrivate(target, sender.toPublic(), data))) return fail('not_found', 'client not found');
  const hook = router.hooks.privateMessage;
  if (hook !== undefined) void router.invoke('onPrivateMessage', () => hook(sender, receiver, data), sender);
  return ok(null);
}
