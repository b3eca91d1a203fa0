// The application server attached to a bare node:http server that keeps
// serving its own routes. Pair it with examples/node-client.mjs.
import http from 'node:http';
import { WebSocketNodeServer } from 'ws-node-server';

const httpServer = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' }).end('plain HTTP still works here\n');
});
const server = new WebSocketNodeServer(httpServer);

// Accept a fixed demo token; the alias makes the client visible to others.
server.onAuthentication((credentials, startSession, respond) => {
  if (credentials?.token !== 'demo-token') return respond('invalid token');
  const name = String(credentials.name ?? 'guest').slice(0, 32);
  startSession({ name, signedInAt: Date.now() }, ['everyone'], name);
  respond(null, { name });
});

server.onRequest('add', (body) => {
  if (!Array.isArray(body) || !body.every(Number.isFinite)) throw new Error('send an array of numbers');
  return body.reduce((a, b) => a + b, 0);
});

// From a handler: tell everyone else in the group, not the sender.
server.onRequest('shout', (body, { session }) => {
  session.broadcast('shout', { from: session.alias, text: String(body) }, { group: 'everyone', except: session });
  return 'shouted';
});

const port = Number(process.env.PORT ?? 8080);
await server.listen();
httpServer.listen(port, '127.0.0.1', () => {
  console.log(`listening on ws://127.0.0.1:${httpServer.address().port} (and http:// for plain requests)`);
});
