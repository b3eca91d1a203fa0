// Helpers of the session recovery tests: a server with recovery on behind a
// TCP proxy (test/helpers/tcp-proxy.mjs) that can cut or blackhole its
// connections, and raw v1 clients that keep the last position they received
// per stream, as the contract asks of a client.
import { TcpProxy } from '../helpers/tcp-proxy.mjs';
import { within } from '../helpers/wait.mjs';
import { startServer, TestClient } from './helpers.mjs';

/**
 * A server with `recovery` and an authentication hook taking
 * `{ name, groups, revoked }`; `ctx.hold` (a promise), when set, delays
 * the hook, so a test can act while an auth is in progress.
 */
export async function recoveryServer(recovery = true, options = {}, setup = null) {
  const closes = [];
  const resumes = [];
  const ctx = { hold: null, revoked: new Set() };
  const started = await startServer(async (server) => {
    server.onAuthentication(async (c, start, respond) => {
      if (ctx.hold !== null) await ctx.hold;
      if (!c || ctx.revoked.has(c.name)) return respond('revoked');
      start({ name: c.name }, c.groups ?? [], c.alias === undefined ? c.name : c.alias, true, null);
      respond(null, { welcome: c.name });
    });
    server.onConnectionClose((session, code) => closes.push({ id: session.id, code }));
    server.onGroupChange(() => true);
    server.on('resume', (session, recovered) => resumes.push({ id: session.id, recovered }));
    await setup?.(server);
  }, { recovery, clientBroadcasts: { toEveryone: true }, ...options });
  const proxy = await TcpProxy.start(started.port);
  return Object.assign(ctx, started, { proxy, closes, resumes });
}

/** The last `pos` received per stream, from everything the client got so far. */
export function positionsOf(client) {
  const positions = {};
  for (const text of client.raw) {
    const msg = JSON.parse(text);
    if (msg.pos !== undefined) positions[msg.pos.s] = { e: msg.pos.e, o: msg.pos.o };
  }
  return positions;
}

/** Connects through the proxy and authenticates; `resume` is sent as is. */
export async function connect(ctx, credentials, resume) {
  const client = await TestClient.connect(ctx.proxy.url);
  const answer = await client.send('auth', resume === undefined ? { credentials } : { credentials, resume });
  client.answer = answer;
  if (answer.type === 'reply') client.self = answer.data.self;
  return client;
}

/** The resume field for a client that was cut off. */
export function resumeOf(client, positions = positionsOf(client)) {
  return { session: client.self.id, token: client.answer.data.recovery.token, positions };
}

/** Cuts every proxied connection and waits until the client saw its end. */
export async function cut(ctx, ...clients) {
  ctx.proxy.cut();
  await Promise.all(clients.map((c) => within(c.closed, 'the cut connection to close')));
}

/** The pushes a client received with a `pos`, after its auth reply, as parsed messages. */
export function pushesAfterReply(client) {
  const texts = client.raw;
  const i = texts.findIndex((t) => JSON.parse(t).type === 'reply');
  return texts.slice(i + 1).map((t) => JSON.parse(t)).filter((m) => m.type === 'event' || m.type === 'message');
}

export async function shutdown(ctx, clients = []) {
  await Promise.all(clients.map((c) => (c.ws.readyState === 1 ? c.close() : null)));
  await ctx.server.close();
  await ctx.proxy.close();
}
